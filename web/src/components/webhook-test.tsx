/** "Send a test delivery" for one webhook: a real POST from the control plane; shows status and latency, or the error. */
import { useMutation } from '@tanstack/react-query';
import { api } from '../api/api.ts';
import type { Webhook } from '../../../contract/api/incidents.ts';
import { ErrorBox } from './common.tsx';

export function WebhookTest({ webhook: w }: { webhook: Webhook }) {
  const test = useMutation({ mutationFn: () => api.testWebhook(w.id) });
  const r = test.data;
  return (
    <span className="webhook-test">
      <button
        type="button"
        disabled={test.isPending}
        // The name starts with the visible words (WCAG 2.5.3 label in name) and says which webhook.
        aria-label={test.isPending ? undefined : `Send a test delivery to ${w.name}`}
        onClick={() => test.mutate()}
      >
        {test.isPending ? 'Sending…' : 'Send a test delivery'}
      </button>
      {r && (
        <span role="status" data-testid={`webhook-test-${w.id}`} className={r.delivered ? 'ok' : 'error'}>
          {r.delivered ? 'Delivered' : 'Failed'}
          {r.status !== null && `: HTTP ${r.status}`}
          {` in ${r.latencyMs} ms`}
          {r.error && r.status === null && ` (${r.error})`}
        </span>
      )}
      <ErrorBox error={test.error} title="Cannot send the test delivery" />
    </span>
  );
}
