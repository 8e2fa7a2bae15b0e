/**
 * The first-start credentials block. `homeostat server` and `homeostat start` both print it once, on stderr (N8), at
 * the first start of a data dir; the password is in no file afterwards (N7).
 */
import type { AdminCredentials } from './bootstrap.ts';

export function credentialsBanner(c: AdminCredentials, credentialsFile: string): string {
  return [
    '',
    'First start: admin credentials. The password is shown only now and stored only as a hash: keep it.',
    `  user:      ${c.username}`,
    `  password:  ${c.password}`,
    `  API token: ${c.apiToken}   (also in ${credentialsFile}, mode 0600, for the CLI on this host)`,
    '',
    '',
  ].join('\n');
}

/** The line later starts show instead: where the API token is, and that the password was shown once. */
export function credentialsReminder(username: string | undefined, credentialsFile: string): string {
  return username
    ? `${username} (password shown at the first start; API token in ${credentialsFile})`
    : `(no ${credentialsFile}: the API token was not found in the data dir)`;
}
