import { openDatabase } from '/work/main/control-plane/db/database.ts';
const d = await openDatabase({ provider: 'sqlite', file: '/tmp/pt/data/h.db' });
console.log(d.migrationsApplied, await d.db.$queryRawUnsafe('PRAGMA journal_mode'));
console.log(await d.db.host.count());
await d.close();
const p = await openDatabase({ provider: 'postgres', url: 'postgres://homeostat:homeostat@127.0.0.1:5432/postgres' });
console.log(p.migrationsApplied, await p.db.host.count());
await p.close();
