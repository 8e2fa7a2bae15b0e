/**
 * Refits from the fleet's own data, at the boundary: a real control plane (SQLite in its data dir, HTTP, fleet
 * module) with enrolled hosts whose samples are stored through the telemetry repository; `homeostat models fit` runs
 * as a child process against that database and registers into the running registry; the API's background job does
 * the same from the Models page's route.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seededRandom } from '../../contract/seeded-random.ts';
import { storeRefitter } from '../../control-plane/compose/refit.ts';
import { createJsEngine } from '../../agent/infer/js-engine.ts';
import { createOnnxEngine } from '../../agent/infer/onnx-engine.ts';
import type { ModelSession, Tensor } from '../../agent/infer/engine.ts';
import {
  createMvState,
  MV_FROWS,
  MV_GCOLS,
  MV_IO,
  MV_PARAMS,
  MV_SROWS,
  stepMv,
} from '../../models/multivariate/reference.ts';
import type { MvParams, MvState } from '../../models/multivariate/reference.ts';
import { enroll } from '../support/control-plane.ts';
import { createTestDatabase, pgSkipReason } from '../support/postgres.ts';
import { FLEET_FEATURES as FEATURES, fleetSeries as series, storeSamples } from '../support/fleet-samples.ts';
import { api, startFleet, until, type FleetRig } from './fleet-harness.ts';

const run = promisify(execFile);
const bin = new URL('../../control-plane/cli/homeostat.mjs', import.meta.url).pathname;
async function seed(
  rig: FleetRig,
  hostname: string,
  labels: Record<string, string>,
  n: number,
  end: number,
  s: number,
) {
  const host = await enroll(rig.t, hostname, { labels });
  const rows = series(host.agentId, s, n, end);
  await storeSamples(rig.t.cp.store.telemetry, rows);
  return host.agentId;
}

/** Largest relative difference of the score between a loaded session and the reference, over `n` synthetic rows. */
async function scoreDiff(
  sess: ModelSession,
  p: MvParams,
  F: number,
  n: number,
): Promise<{ worst: number; max: number }> {
  const rnd = seededRandom(11);
  let ref: MvState = createMvState(F, p);
  const t = (data: Float32Array, dims: number[]): Tensor => ({ data: data.slice(), dims });
  let st = {
    f: new Float32Array(MV_FROWS * F),
    g: new Float32Array(MV_GCOLS),
    w: new Float32Array(p.components * F),
    c: new Float32Array(F * F),
  };
  let worst = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const x = Float32Array.from(
      { length: F },
      (_, j) => 10 * j + Math.sin(i / 9) * j + rnd() + (i === n - 20 ? 50 : 0),
    );
    const r = stepMv(p, ref, x, -1);
    const o = await sess.run({
      [MV_IO.inputs.x]: t(x, [1, F]),
      [MV_IO.inputs.fstate]: t(st.f, [MV_FROWS, F]),
      [MV_IO.inputs.gstate]: t(st.g, [1, MV_GCOLS]),
      [MV_IO.inputs.basis]: t(st.w, [p.components, F]),
      [MV_IO.inputs.cov]: t(st.c, [F, F]),
      [MV_IO.inputs.season]: t(new Float32Array(MV_SROWS * F), [MV_SROWS, F]),
    });
    const score = o[MV_IO.outputs.score]!.data[0]!;
    worst = Math.max(worst, Math.abs(score - r.score));
    max = Math.max(max, score);
    ref = r.state;
    st = {
      f: o[MV_IO.outputs.fstate]!.data.slice(),
      g: o[MV_IO.outputs.gstate]!.data.slice(),
      w: o[MV_IO.outputs.basis]!.data.slice(),
      c: o[MV_IO.outputs.cov]!.data.slice(),
    };
  }
  return { worst, max };
}

test('homeostat models fit: refits from stored samples, registers, starts a canary; errors say what is wrong', {
  timeout: 600_000,
}, async () => {
  const rig = await startFleet({ refitter: storeRefitter });
  try {
    const end = Date.now() - 2 * 3_600_000;
    for (const [i, h] of ['web-1', 'web-2', 'web-3'].entries()) await seed(rig, h, { role: 'web' }, 864, end, i + 1);
    await seed(rig, 'db-1', { role: 'db' }, 200, end, 9);
    const out = mkdtempSync(join(tmpdir(), 'refit-out-'));
    const cli = (...args: string[]) =>
      run(process.execPath, [bin, 'models', 'fit', '--kind', 'anomaly', '--data-dir', rig.t.dataDir, ...args], {
        timeout: 300_000,
      });
    const fails = async (args: string[], pattern: RegExp) => {
      const err = (await cli(...args).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      ))!;
      assert.ok(err, `${args.join(' ')} should fail`);
      assert.equal(err.code, 1);
      assert.match(err.stderr, pattern);
    };
    await fails(['--hosts', 'role=nothing'], /the selector 'role=nothing' matches no enrolled host/);
    await fails(['--hosts', 'role=web', '--since', '1h'], /no samples from .* on the 3 host\(s\) matching 'role=web'/);
    await fails(['--hosts', 'role=db'], /too few samples to fit: \d+ training samples .* at least 1000 needed/);

    const { stdout } = await cli(
      '--hosts',
      'role=web',
      '--since',
      '7d',
      '--out',
      out,
      '--register',
      '--canary',
      'hostname=web-1',
      '--server',
      rig.t.urls.httpUrl,
      '--api-token',
      rig.t.adminToken,
      '--json',
    );
    const r = JSON.parse(stdout);
    assert.match(r.version, /^6\.1\.0-fleet\.\d{14}$/);
    assert.deepEqual([r.hosts, r.samples, r.features], [3, 3 * 864, FEATURES.length]);
    assert.ok(r.holdoutSamples > 400 && r.trainSamples > 1900, JSON.stringify(r));
    assert.equal(r.modelId, `anomaly-multi@${r.version}`);
    const model = await api(rig.t, 'GET', `/api/models/${encodeURIComponent(r.modelId)}`);
    assert.equal(model.status, 200);
    const card = model.body.card;
    assert.deepEqual(card.extra.fleetData.features, FEATURES);
    assert.equal(card.extra.fleetData.hostCount, 3);
    assert.equal(card.extra.fleetData.samples, 3 * 864);
    assert.match(card.fittedOn.dataset, /3 host\(s\) matching 'role=web', 2592 samples/);
    for (const k of [
      'holdout_alert_rate',
      'holdout_false_episodes_per_host_day',
      'holdout_score_p99',
      'base_holdout_alert_rate',
    ])
      assert.equal(typeof card.quality.metrics[k], 'number', k);
    assert.ok(
      card.quality.metrics.holdout_alert_rate < 0.05,
      `alert rate on held-back normal data ${card.quality.metrics.holdout_alert_rate}`,
    );
    const rollout = await api(rig.t, 'GET', `/api/rollouts/${r.rolloutId}`);
    assert.equal(rollout.status, 200);
    assert.deepEqual(
      [rollout.body.subject, rollout.body.version, rollout.body.selector],
      ['anomaly-multi', r.modelId, 'hostname=web-1'],
    );

    // The written ONNX loads on both engines and scores as the TypeScript reference with the card's parameters.
    const written = JSON.parse(readFileSync(r.card, 'utf8'));
    assert.equal(written.sha256, model.body.sha256);
    const params = { ...MV_PARAMS, ...written.extra.params } as MvParams;
    assert.equal(params.components, r.components);
    for (const engine of [createOnnxEngine(), createJsEngine()]) {
      const sess = await engine.load(new Uint8Array(readFileSync(r.onnx)));
      const { worst, max } = await scoreDiff(sess, params, 6, 300);
      await sess.release();
      assert.ok(worst < 1e-5, `${engine.name}: score differs from the reference by ${worst}`);
      assert.ok(max > 0.5, `${engine.name}: the spike scores ${max}`);
    }
  } finally {
    await rig.close();
  }
});

test('POST /api/model-refits: admin-only background job with progress, registers the refit', {
  timeout: 600_000,
}, async () => {
  const rig = await startFleet({ refitter: storeRefitter });
  try {
    const end = Date.now() - 3_600_000;
    for (const [i, h] of ['api-1', 'api-2'].entries()) await seed(rig, h, { role: 'api' }, 1000, end, 20 + i);
    rig.clock.t = end + 60_000;
    const u = await api(rig.t, 'POST', '/api/users', {
      username: 'op',
      password: 'operator-password-123',
      role: 'operator',
    });
    const tok = await api(rig.t, 'POST', `/api/users/${u.body.id}/tokens`, { name: 'ci', role: 'operator' });
    const denied = await api(rig.t, 'POST', '/api/model-refits', { selector: 'role=api' }, tok.body.token);
    assert.deepEqual([denied.status, denied.body.needed], [403, 'admin']);
    assert.equal((await api(rig.t, 'GET', '/api/model-refits', undefined, tok.body.token)).status, 403);
    const none = await api(rig.t, 'POST', '/api/model-refits', { selector: 'role=nope' });
    assert.equal(none.status, 400);
    assert.match(none.body.message, /'role=nope' matches no enrolled host/);
    const bad = await api(rig.t, 'POST', '/api/model-refits', { selector: 'role=api', since: '10y' });
    assert.equal(bad.status, 400);

    const started = await api(rig.t, 'POST', '/api/model-refits', {
      selector: 'role=api',
      since: '7d',
      holdout: 0.25,
      canary: 'hostname=api-1',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.status, 'running');
    const job = await until(
      async () => {
        const j = await api(rig.t, 'GET', `/api/model-refits/${started.body.id}`);
        return j.body.status === 'running' ? null : j.body;
      },
      'the refit job to finish',
      300_000,
    );
    assert.equal(job.status, 'succeeded', job.error);
    assert.equal(job.summary.hosts, 2);
    assert.equal(job.summary.samples, 2000);
    assert.equal(job.modelId, `anomaly-multi@${job.summary.version}`);
    assert.equal(job.progress.share, 1);
    assert.ok(job.rolloutId);
    const model = await api(rig.t, 'GET', `/api/models/${encodeURIComponent(job.modelId)}`);
    assert.equal(model.status, 200);
    assert.equal(model.body.card.extra.fleetData.selector, 'role=api');
    const list = await api(rig.t, 'GET', '/api/model-refits');
    assert.deepEqual(
      list.body.jobs.map((j: { id: string }) => j.id),
      [started.body.id],
    );
  } finally {
    await rig.close();
  }
});

test('refit jobs are shared by replicas on one PostgreSQL: any replica answers, one refit runs fleet-wide', {
  skip: pgSkipReason,
  timeout: 600_000,
}, async () => {
  const db = await createTestDatabase();
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  // replica A holds its fit at the gate (the real fit runs after it), so the job is running while B is asked
  const a = await startFleet({ refitter: async (...args) => (await gate, storeRefitter(...args)) }, db.url);
  const b = await startFleet({ refitter: storeRefitter }, db.url);
  // one admin for both replicas (each test control plane bootstraps its own; B's answers to A's token prove the
  // sessions and tokens are shared too)
  const admin = a.t.adminToken;
  try {
    const end = Date.now() - 3_600_000;
    for (const [i, h] of ['api-1', 'api-2'].entries()) await seed(a, h, { role: 'api' }, 1000, end, 20 + i);
    a.clock.t = b.clock.t = end + 60_000;
    const started = await api(a.t, 'POST', '/api/model-refits', { selector: 'role=api', since: '7d' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const seen = await api(b.t, 'GET', `/api/model-refits/${started.body.id}`, undefined, admin);
    assert.deepEqual([seen.status, seen.body.status, seen.body.createdBy], [200, 'running', 'admin']);
    const second = await api(b.t, 'POST', '/api/model-refits', { selector: 'role=api', since: '7d' }, admin);
    assert.equal(second.status, 409);
    assert.equal(
      second.body.message,
      `refit ${started.body.id} (started by admin at ${started.body.createdAt}) is running; wait for it to finish`,
    );
    release();
    const job = await until(
      async () => {
        const j = await api(b.t, 'GET', `/api/model-refits/${started.body.id}`, undefined, admin);
        return j.body.status === 'running' ? null : j.body;
      },
      'replica B to see the refit on replica A finish',
      300_000,
    );
    assert.equal(job.status, 'succeeded', job.error);
    assert.equal(job.summary.samples, 2000);
    assert.deepEqual(
      (await api(b.t, 'GET', '/api/model-refits', undefined, admin)).body.jobs.map((j: { id: string }) => j.id),
      [started.body.id],
    );
  } finally {
    release();
    await a.close();
    await b.close();
    await db.drop();
  }
});

test('stopping the control plane ends a running refit at its next page and records why', {
  timeout: 600_000,
}, async () => {
  let entered!: () => void;
  const inFit = new Promise<void>((r) => {
    entered = r;
  });
  // the fit waits until the control plane stops, then reads its first page (aborted) as a long refit would
  const rig = await startFleet({
    refitter: async (repos, req, onProgress) => {
      entered();
      await new Promise((r) => req.signal?.addEventListener('abort', r, { once: true }));
      return storeRefitter(repos, req, onProgress);
    },
  });
  try {
    const end = Date.now() - 3_600_000;
    await seed(rig, 'api-1', { role: 'api' }, 1000, end, 20);
    rig.clock.t = end + 60_000;
    const started = await api(rig.t, 'POST', '/api/model-refits', { selector: 'role=api', since: '7d' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await inFit;
    await rig.fleet.stop();
    const job = await api(rig.t, 'GET', `/api/model-refits/${started.body.id}`);
    assert.deepEqual(
      [job.body.status, job.body.error],
      ['failed', 'the control plane stopped while it ran; start it again'],
    );
    const refused = await api(rig.t, 'POST', '/api/model-refits', { selector: 'role=api', since: '7d' });
    assert.deepEqual([refused.status, refused.body.message], [409, 'the control plane is stopping']);
  } finally {
    await rig.t.close();
  }
});
