/**
 * The agent's logger: pino JSON lines on stderr, the same stream as the control plane's logs (README "Logs"), so
 * stdout stays for what a command prints (`status --json`, enrollment results) and one redirect captures every log.
 */
import { pino, type Logger } from 'pino';

/** A JSON logger writing to stderr (fd 2) at `level`. */
export function createAgentLogger(level: string): Logger {
  return pino({ level }, pino.destination(2));
}
