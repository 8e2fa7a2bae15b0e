/**
 * `homeostat agent enroll|run|status`: the agent's command line (thin shell over enroll/, agent.ts, status/).
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { AGENT_VERSION } from '../agent.ts';
import { assembleAgent } from '../assemble.ts';
import { loadAgentConfig } from '../config/load.ts';
import type { AgentConfig } from '../config/schema.ts';
import { loadCredentials } from '../enroll/credentials.ts';
import { enroll } from '../enroll/enroll.ts';
import { isRunning, readStatus } from '../status/status-file.ts';

const DEFAULT_CONFIG = '/etc/homeostat/agent.yaml';

/** `--labels role=db,zone=a` → `{ role: 'db', zone: 'a' }`. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`label '${pair}' is not key=value`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
  return n;
};

type CommonOpts = { config?: string; stateDir?: string; logLevel?: string };

/** Loads the config: --config, else $HOMEOSTAT_AGENT_CONFIG, else /etc/homeostat/agent.yaml when present. */
function config(opts: CommonOpts, extra: Record<string, unknown> = {}): AgentConfig {
  const file = opts.config ?? process.env.HOMEOSTAT_AGENT_CONFIG ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  return loadAgentConfig({ file, overrides: { stateDir: opts.stateDir, logLevel: opts.logLevel, ...extra } });
}

function fail(err: unknown): never {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}

const common = (c: Command) =>
  c
    .option('-c, --config <file>', `agent config YAML (default $HOMEOSTAT_AGENT_CONFIG or ${DEFAULT_CONFIG} if present)`)
    .option('--state-dir <dir>', 'state directory (default /var/lib/homeostat as root, ~/.homeostat/agent otherwise)');

/** Adds `agent …` to the program. */
export function register(program: Command): void {
  const agent = program.command('agent').description('run a Homeostat agent on this host (enroll once, then run)');

  common(agent.command('enroll'))
    .description('exchange an enrollment token for this host\'s identity; stores it in the state dir (mode 0600)')
    .requiredOption('--server <url>', 'control plane HTTP URL, e.g. http://cp.example:8080')
    .requiredOption('--token <token>', 'one-time enrollment token (homeostat token create)')
    .option('--labels <k=v,...>', 'host labels, e.g. role=db,zone=a', parseLabels)
    .option('--force', 'enroll again even if this state dir already has an identity')
    .action(async (opts: CommonOpts & { server: string; token: string; labels?: Record<string, string>; force?: boolean }) => {
      try {
        const cfg = config(opts);
        const existing = loadCredentials(cfg.stateDir);
        if (existing && !opts.force) throw new Error(`already enrolled as ${existing.agentId} (state dir ${cfg.stateDir}); use --force to replace`);
        const creds = await enroll({ server: opts.server, token: opts.token, stateDir: cfg.stateDir, agentVersion: AGENT_VERSION, labels: { ...cfg.labels, ...opts.labels } });
        process.stdout.write(`enrolled as ${creds.agentId}\nstate dir: ${cfg.stateDir}\nmqtt: ${creds.mqttUrl}\nrun it with: homeostat agent run --state-dir ${cfg.stateDir}\n`);
      } catch (err) {
        fail(err);
      }
    });

  common(agent.command('run'))
    .description('run the agent in the foreground (SIGTERM/SIGINT drain the outbox, then exit)')
    .option('--cycle-seconds <n>', 'seconds between collection cycles (default 10)', positiveNumber('--cycle-seconds'))
    .option('--max-cycles <n>', 'stop collecting after n cycles but keep delivering (testing)', positiveNumber('--max-cycles'))
    .option('--log-level <level>', 'trace|debug|info|warn|error|fatal|silent')
    .action(async (opts: CommonOpts & { cycleSeconds?: number; maxCycles?: number }) => {
      let cfg: AgentConfig;
      try {
        cfg = config(opts, { cycleSeconds: opts.cycleSeconds });
      } catch (err) {
        fail(err);
      }
      const creds = loadCredentials(cfg.stateDir);
      if (!creds) fail(new Error(`not enrolled: no credentials in ${cfg.stateDir}; run homeostat agent enroll --server URL --token TOKEN`));
      await runUntilSignal(cfg, creds, opts.maxCycles);
    });

  common(agent.command('status'))
    .description('print identity (never the secret), connection state, outbox depth, last ack and last cycle')
    .option('--json', 'print one JSON object')
    .action((opts: CommonOpts & { json?: boolean }) => {
      try {
        const cfg = config(opts);
        const creds = loadCredentials(cfg.stateDir);
        const st = readStatus(cfg.stateDir);
        const running = st ? isRunning(st) : false;
        const { secret: _secret, ...identity } = creds ?? ({} as Record<string, unknown>);
        const out = { stateDir: cfg.stateDir, enrolled: !!creds, identity: creds ? identity : null, running, status: st };
        if (opts.json) return void process.stdout.write(JSON.stringify(out) + '\n');
        const when = (t: number | null | undefined) => (t ? `${new Date(t).toISOString()} (${Math.round((Date.now() - t) / 1000)} s ago)` : 'never');
        const lines = [`state dir:   ${cfg.stateDir}`];
        if (!creds) lines.push('enrolled:    no (homeostat agent enroll --server URL --token TOKEN)');
        else lines.push(`agent id:    ${creds.agentId}`, `hostname:    ${creds.hostname}`, `server:      ${creds.server}`, `mqtt:        ${creds.mqttUrl}`, `labels:      ${Object.entries(creds.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-'}`, `enrolled at: ${when(creds.enrolledAt)}`);
        lines.push(`running:     ${running ? `yes (pid ${st!.pid})` : 'no'}`);
        if (st) {
          lines.push(
            `connection:  ${running ? st.link.state : 'down'}${st.link.lastError ? ` (last error: ${st.link.lastError})` : ''}`,
            `outbox:      ${st.outbox.depth} records, ${st.outbox.bytes} bytes, last seq ${st.outbox.lastSeq}, dropped ${st.outbox.droppedTotal}`,
            `last ack:    ${st.link.lastAckSeq ?? '-'} at ${when(st.link.lastAckAt)}`,
            `last cycle:  ${st.lastCycle ? `seq ${st.lastCycle.seq} at ${when(st.lastCycle.ts)}, ${st.lastCycle.durationMs} ms` : 'never'} (${st.cycles} cycles)`,
            `status at:   ${when(st.updatedAt)}`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      } catch (err) {
        fail(err);
      }
    });
}

/** Runs the agent until SIGTERM/SIGINT, then drains; a second signal exits at once. */
async function runUntilSignal(cfg: AgentConfig, creds: NonNullable<ReturnType<typeof loadCredentials>>, maxCycles?: number): Promise<void> {
  const logger = pino({ level: cfg.logLevel });
  const agent = await assembleAgent(cfg, creds, { logger, ...(maxCycles ? { maxCycles } : {}) });
  await agent.start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal: sig }, 'draining');
      agent.stop().then(resolve, (err: Error) => {
        logger.error({ err: err.message }, 'stop failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
