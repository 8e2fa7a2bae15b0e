import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrometheus } from './prometheus.ts';

test('counters with reasons become labelled families; gauges stay gauges', () => {
  const text = renderPrometheus(
    {
      'broker.publish.refused.acl': 2,
      'broker.publish.refused.unauthenticated': 1,
      'ingest.samples.accepted': 40,
      'broker.payload.rejected.too-large': 3,
    },
    { 'broker.clients.connected': 5, 'ingest.queue.depth': 0 },
  );
  assert.equal(
    text,
    [
      '# HELP homeostat_broker_clients_connected Homeostat gauge broker.clients.connected',
      '# TYPE homeostat_broker_clients_connected gauge',
      'homeostat_broker_clients_connected 5',
      '# HELP homeostat_broker_payload_rejected_total Homeostat counter broker.payload.rejected',
      '# TYPE homeostat_broker_payload_rejected_total counter',
      'homeostat_broker_payload_rejected_total{reason="too-large"} 3',
      '# HELP homeostat_broker_publish_refused_total Homeostat counter broker.publish.refused',
      '# TYPE homeostat_broker_publish_refused_total counter',
      'homeostat_broker_publish_refused_total{reason="acl"} 2',
      'homeostat_broker_publish_refused_total{reason="unauthenticated"} 1',
      '# HELP homeostat_ingest_queue_depth Homeostat gauge ingest.queue.depth',
      '# TYPE homeostat_ingest_queue_depth gauge',
      'homeostat_ingest_queue_depth 0',
      '# HELP homeostat_ingest_samples_accepted_total Homeostat counter ingest.samples.accepted',
      '# TYPE homeostat_ingest_samples_accepted_total counter',
      'homeostat_ingest_samples_accepted_total 40',
      '',
    ].join('\n'),
  );
});
