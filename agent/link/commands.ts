/**
 * Command dispatch: every control-plane command is parsed against the shared contract and handled in one switch.
 * `ack` and `busy` belong to the link itself; the others are forwarded to handlers that heal/infer/policy code registers.
 */
import { Command } from '../../contract/protocol/index.ts';
import type { SeqRange } from './outbox/store.ts';

type Forwarded = Exclude<Command['type'], 'ack' | 'busy'>;

/** Handlers for commands the link does not handle itself. A missing handler means the command is logged and ignored. */
export type CommandHandlers = { [K in Forwarded]?: (command: Extract<Command, { type: K }>) => void | Promise<void> };

/** What dispatch did, for logging and tests. */
export type DispatchResult =
  | { outcome: 'acked'; ranges: SeqRange[]; rejected?: { seq: number; reason: string }[] }
  | { outcome: 'busy'; ranges: SeqRange[]; retryAfterMs: number }
  | { outcome: 'forwarded' | 'unhandled'; type: Forwarded }
  | { outcome: 'rejected'; reason: string };

/**
 * Parses and dispatches one command payload. `fromFleet` marks broadcasts, which may not carry acks
 * (an ack is only meaningful for the agent it was addressed to).
 */
export async function dispatchCommand(
  payload: Buffer | string,
  fromFleet: boolean,
  onAck: (ranges: SeqRange[]) => void,
  handlers: CommandHandlers,
  onBusy: (ranges: SeqRange[], retryAfterMs: number) => void = () => {},
): Promise<DispatchResult> {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return { outcome: 'rejected', reason: 'payload is not JSON' };
  }
  const parsed = Command.safeParse(json);
  if (!parsed.success)
    return {
      outcome: 'rejected',
      reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
    };
  const cmd = parsed.data;
  switch (cmd.type) {
    case 'ack':
      if (fromFleet) return { outcome: 'rejected', reason: 'ack on a fleet topic' };
      onAck(cmd.ranges);
      return { outcome: 'acked', ranges: cmd.ranges, ...(cmd.rejected?.length ? { rejected: cmd.rejected } : {}) };
    case 'busy':
      if (fromFleet) return { outcome: 'rejected', reason: 'busy on a fleet topic' };
      onBusy(cmd.ranges, cmd.retryAfterMs);
      return { outcome: 'busy', ranges: cmd.ranges, retryAfterMs: cmd.retryAfterMs };
    case 'policy':
      return forward(cmd.type, handlers.policy, cmd);
    case 'model':
      return forward(cmd.type, handlers.model, cmd);
    case 'agent-upgrade':
      return forward(cmd.type, handlers['agent-upgrade'], cmd);
    case 'approval':
      return forward(cmd.type, handlers.approval, cmd);
    case 'pause':
      return forward(cmd.type, handlers.pause, cmd);
    case 'rotate-secret':
      if (fromFleet) return { outcome: 'rejected', reason: 'rotate-secret on a fleet topic' };
      return forward(cmd.type, handlers['rotate-secret'], cmd);
  }
}

async function forward<C>(
  type: Forwarded,
  handler: ((c: C) => void | Promise<void>) | undefined,
  cmd: C,
): Promise<DispatchResult> {
  if (!handler) return { outcome: 'unhandled', type };
  await handler(cmd);
  return { outcome: 'forwarded', type };
}
