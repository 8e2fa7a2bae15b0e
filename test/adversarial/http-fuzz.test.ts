/**
 * Fuzz of every HTTP write route (item 10): seeded random JSON bodies (nasty strings, deep nesting, huge numbers,
 * wrong types) and raw non-JSON bodies, as an admin, against the real control plane with the fleet module. Asserted:
 * never a 5xx, every answer JSON with an `error` on 4xx, every refusal counted (`http.rejected.<status>`), and the
 * control plane still healthy afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ROUTE_ROLES } from '../../control-plane/access/route-table.ts';
import { startFleet, type FleetRig } from '../integration/fleet-harness.ts';

let rig: FleetRig;
before(async () => {
  rig = await startFleet();
});
after(async () => {
  await rig?.close();
});

const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom('\ud800', 'a\udc00b', '\u0000', '99999999d', '1e308', '../../etc/passwd', '${x}', ''),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -1e308, 9007199254740992, -0, 0.5));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    nasty,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('value'), { maxKeys: 5 }),
  ),
})).value;
/** Bodies shaped like the real ones: the usual field names with junk values. */
const FIELDS = [
  'name',
  'source',
  'comment',
  'format',
  'version',
  'selector',
  'percents',
  'soak',
  'ttl',
  'uses',
  'labels',
  'token',
  'hostname',
  'agentVersion',
  'inventory',
  'username',
  'password',
  'role',
  'url',
  'events',
  'reason',
  'approved',
  'schedule',
  'kind',
  'text',
  'thresholds',
];
const shaped = fc.dictionary(fc.constantFrom(...FIELDS), json, { maxKeys: 6 });
const deep = fc.integer({ min: 100, max: 20_000 }).map((n) => `{"name":${'['.repeat(n)}${']'.repeat(n)}}`);
const body = fc.oneof(
  shaped.map((v) => JSON.stringify(v)),
  json.map((v) => JSON.stringify(v)),
  deep,
  fc.string(),
);

describe('fuzz: every HTTP write route', () => {
  it('never answers 5xx (seeded, a few hundred requests)', async () => {
    const routes = ROUTE_ROLES.filter(([m]) => m !== 'GET');
    const failures: string[] = [];
    let n = 0;
    const refused = new Map<number, number>();
    const counted = (status: number) => rig.t.cp.counters.get(`http.rejected.${status}`);
    const before = new Map([400, 401, 403, 404, 409, 413, 415, 429].map((s) => [s, counted(s)]));
    for (const [i, [method, pattern]] of routes.entries()) {
      const path = pattern.replace(/:[a-z]+/gi, (p) => (p === ':version' ? '1' : 'fuzz-1'));
      for (const text of fc.sample(body, { seed: 4200 + i, numRuns: 10 })) {
        const res = await fetch(`${rig.t.urls.httpUrl}${path}`, {
          method,
          body: text,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.t.adminToken}` },
        });
        const answer = await res.text();
        n++;
        if (res.status >= 400 && res.status < 500) refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          failures.push(`${method} ${path} ${res.status} ${answer.slice(0, 200)} ← ${text.slice(0, 120)}`);
        else if (res.status >= 400 && res.headers.get('content-type')?.includes('json')) {
          assert.ok(typeof JSON.parse(answer).error === 'string', `${method} ${path}: ${answer.slice(0, 200)}`);
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${n} requests answered 5xx`);
    // Every refusal is counted for /metrics, by status.
    for (const [status, k] of refused) assert.equal(counted(status) - (before.get(status) ?? 0), k, `${status}`);
    assert.ok(n >= 300, `${n} requests`);
    assert.equal((await fetch(`${rig.t.urls.httpUrl}/healthz`)).status, 200);
  });
});
