/** `homeostat-agent status`: identity (never the secret), connection, outbox depth, last ack and last cycle. */
import { loadCredentials } from '../enroll/credentials.ts';
import { readRecord, readRelease, runningVersion } from '../fleet/install-layout.ts';
import { isRunning, readStatus } from '../status/status-file.ts';
import { configFor } from './load-config.ts';
import { fail, type CommonOpts } from './options.ts';

/** Options of `homeostat-agent status`. */
export type StatusOpts = CommonOpts & { json?: boolean };

/** Prints the status as text or, with --json, as one JSON object. */
export function statusAction(opts: StatusOpts): void {
  try {
    const cfg = configFor(opts);
    const creds = loadCredentials(cfg.stateDir);
    const st = readStatus(cfg.stateDir);
    const running = st ? isRunning(st) : false;
    const { secret: _secret, ...identity } = creds ?? ({} as Record<string, unknown>);
    const out = { stateDir: cfg.stateDir, enrolled: !!creds, identity: creds ? identity : null, running, status: st };
    if (opts.json) return void process.stdout.write(JSON.stringify(out) + '\n');
    const when = (t: number | null | undefined) =>
      t ? `${new Date(t).toISOString()} (${Math.round((Date.now() - t) / 1000)} s ago)` : 'never';
    const lines = [`state dir:   ${cfg.stateDir}`];
    if (!creds) lines.push('enrolled:    no (homeostat-agent enroll --server URL --token TOKEN)');
    else {
      const labels =
        Object.entries(creds.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '-';
      lines.push(
        `agent id:    ${creds.agentId}`,
        `hostname:    ${creds.hostname}`,
        `server:      ${creds.server}`,
        `mqtt:        ${mqttLine(st?.link.url, cfg.server.mqttUrl, creds.mqttUrl)}`,
        `labels:      ${labels}`,
        `enrolled at: ${when(creds.enrolledAt)}`,
      );
    }
    lines.push(
      `running:     ${running ? `yes (pid ${st!.pid})` : 'no'}`,
      `version:     ${versionLine(cfg.stateDir, st?.agentVersion)}`,
    );
    if (st) {
      const { link, outbox, lastCycle } = st;
      const lastError = link.lastError ? ` (${errorNote(link, when)})` : '';
      const cycle = lastCycle ? `seq ${lastCycle.seq} at ${when(lastCycle.ts)}, ${lastCycle.durationMs} ms` : 'never';
      lines.push(
        `connection:  ${running ? link.state : 'down'}${lastError}`,
        `outbox:      ${outbox.depth} records, ${outbox.bytes} bytes, last seq ${outbox.lastSeq}, dropped ${outbox.droppedTotal}`,
        `last ack:    ${link.lastAckSeq ?? '-'} at ${when(link.lastAckAt)}`,
        `last cycle:  ${cycle} (${st.cycles} cycles)`,
        `services:    ${st.serviceManager ? `${st.serviceManager.backend} (${st.serviceManager.reason})` : '-'}`,
        ...Object.entries(st.models ?? {}).map(
          ([kind, m]) => `model:       ${kind} ${m.model} on ${m.engine}${m.note ? ` (${m.note})` : ''}`,
        ),
        `status at:   ${when(st.updatedAt)}`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    fail(err);
  }
}

/** The running version, the one before it, the last rolled back from, and an upgrade awaiting confirmation. */
export function versionLine(stateDir: string, reported: string | undefined): string {
  const version = reported ?? runningVersion();
  const release = readRelease(stateDir);
  const pending = readRecord(stateDir);
  const notes = [`previous ${release?.running === version ? (release.previous ?? '-') : '-'}`];
  if (release?.running === version && release.rolledBackFrom) notes.push(`rolled back from ${release.rolledBackFrom}`);
  if (pending?.status === 'pending')
    notes.push(
      `upgrade ${pending.from} -> ${pending.to} awaiting confirmation until ${new Date(pending.deadline).toISOString()}`,
    );
  return `${version} (${notes.join(', ')})`;
}

/** F1: the URL the agent connects to (the running link's, else server.mqttUrl, else the enrolled one), and why. */
export function mqttLine(running: string | undefined, configured: string | undefined, enrolled: string): string {
  const effective = running ?? configured ?? enrolled;
  if (effective === enrolled) return effective;
  return `${effective} (server.mqttUrl; enrolled with ${enrolled})`;
}

/** F2: the last link error with its time, marked "before connecting" when the link connected since. */
export function errorNote(
  link: { state: string; lastError: string | null; lastErrorAt?: number | null; connectedAt: number | null },
  when: (t: number | null | undefined) => string,
): string {
  const at = link.lastErrorAt ? when(link.lastErrorAt) : 'time unknown';
  const old =
    link.state === 'connected' && link.connectedAt !== null && link.lastErrorAt != null
      ? link.lastErrorAt <= link.connectedAt
      : false;
  return `${old ? 'earlier error, before connecting' : 'last error'} at ${at}: ${link.lastError}`;
}
