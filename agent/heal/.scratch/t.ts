import { parsePolicyDocument } from '../policy/schema.ts';
const ok = parsePolicyDocument(`
version: v1
policies:
  - name: a
    when: { all: [ { feature: cpu.util_pct, op: '>', value: 90, for: 30s }, { any: [ {service: nginx}, {mount: /data, freePctBelow: 10} ] } ] }
    do: [ { type: restart-service, service: nginx }, {type: free-disk, dirs: [/data], globs: ['*.tmp'], maxBytes: 1GiB} ]
    guards: { cooldown: 5m, verify: { within: 30s, condition: { not: { service: nginx } } } }
`, 'yaml');
console.log(JSON.stringify(ok, null, 1).slice(0, 1500));
for (const bad of [
 `policies: [ { name: a, when: { all: [ {feature: x, op: '>>', value: 1} ] }, do: [ {type: restart-service, service: x} ] } ]`,
 `policies: [ { name: a, when: { feature: x, op: '>', value: 1, for: 3 parsecs }, do: [ {type: nuke} ] } ]`,
 `policies: [ { name: a, when: { bogus: 1 }, do: [] }, {name: a, when: {service: x}, do: [{type: notify, message: hi}]} ]`,
 `policies: [ {`,
]) { try { parsePolicyDocument(bad, 'yaml'); console.log('NO ERROR'); } catch (e) { console.log((e as Error).name, (e as any).issues); } }
