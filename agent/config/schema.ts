/**
 * The agent config schema. Sections owned by other parts (collectors, heal, infer) are optional records here, so the
 * agent starts without them; each owner validates its section with its own schema (e.g. agent/heal/config.ts) and
 * may replace the placeholder below by importing that schema, keeping it optional with defaults.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { inferConfigSchema } from '../infer/config.ts';
import { printable } from '../../contract/text.ts';

/** `/var/lib/homeostat` for root, `~/.homeostat/agent` otherwise. */
export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/homeostat' : join(homedir(), '.homeostat', 'agent');
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Outbox bounds. Defaults: 64 MiB, 100 000 records (~11 days of 10 s cycles), synchronous=full. */
export const outboxConfigSchema = z.strictObject({
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  maxRecords: z.number().int().min(2).default(100_000),
  /** `full` survives power loss; `normal` survives a crash of the agent process only. */
  synchronous: z.enum(['full', 'normal']).default('full'),
});

/** Link tuning. Defaults: window 2000 records, ack timeout 30 s, backoff 500 ms .. 30 s. */
export const linkConfigSchema = z.strictObject({
  windowRecords: z.number().int().min(1).max(100_000).default(2000),
  ackTimeoutSeconds: z.number().min(1).max(3600).default(30),
  backoffBaseMs: z.number().int().min(1).default(500),
  backoffCapMs: z.number().int().min(1).default(30_000),
});

/** Agent upgrades (agent/fleet/agent-upgrader.ts, docs/agent-install.md "Upgrades and automatic rollback"). */
export const upgradeConfigSchema = z.strictObject({
  /** Where versions are installed (`<installRoot>/<version>`, `current`, `previous`). */
  installRoot: z.string().min(1).check(printable()).default('/opt/homeostat/agent'),
  /** The new version must complete this many cycles (and, if the old one was connected, connect and get an ack)… */
  healthCycles: z.number().int().min(1).max(1000).default(3),
  /** …within this many seconds of the switch, else the host switches back by itself. */
  windowSeconds: z.number().min(5).max(86_400).default(300),
  /** Starts of the new version allowed without a confirmation (a crash at start) before switching back. */
  maxAttempts: z.number().int().min(1).max(20).default(3),
  /** Largest artifact accepted, in MiB. */
  maxMiB: z.number().int().min(1).max(4096).default(512),
});

const section = z.record(z.string(), z.unknown()).default({});

/** The whole agent config. Every key has a default, so `{}` is a valid input. */
export const agentConfigSchema = z.strictObject({
  /** Credentials, outbox and status live here (mode 0700). A relative path is taken from the working directory. */
  stateDir: z
    .string()
    .min(1)
    .check(printable())
    .default(defaultStateDir)
    // resolved once here: every part below (heal state, outbox, status file) requires an absolute path
    .transform((p) => resolve(p)),
  server: z
    .strictObject({
      /** Control plane HTTP URL (enrollment); defaults to the one enrolled with. */
      url: z
        .url({ protocol: /^https?$/ })
        .check(printable())
        .optional(),
      /** Overrides the MQTT URL returned at enrollment (e.g. behind NAT). */
      mqttUrl: z
        .url({ protocol: /^(mqtts?|wss?)$/ })
        .check(printable())
        .optional(),
    })
    .prefault({}),
  /** Seconds between collection cycles (default 10). */
  cycleSeconds: z.number().min(0.01).max(3600).default(10),
  outbox: outboxConfigSchema.prefault({}),
  link: linkConfigSchema.prefault({}),
  /** Host labels sent at enrollment and matched by policy selectors. */
  labels: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9_./-]{0,62}$/i, 'label keys use letters, digits and _ . / -'),
      z.string().max(256).check(printable()),
    )
    .default({}),
  /** systemd units (or supervised service names) to watch. */
  services: z.array(z.string().min(1).max(256).check(printable())).default([]),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Seconds to wait on SIGTERM for the outbox to drain before exiting (default 5). */
  drainSeconds: z.number().min(0).max(600).default(5),
  collectors: section,
  heal: section,
  /** Inference: which engine runs the models (agent/infer/config.ts). */
  infer: inferConfigSchema.prefault({}),
  upgrade: upgradeConfigSchema.prefault({}),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
