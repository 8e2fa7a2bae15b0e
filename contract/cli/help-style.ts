/**
 * One help style for both programs (`homeostat`, `homeostat-agent`): every default reads `(default: X)`. Commander
 * prints a string default as JSON (`(default: "./.data")`) while the defaults that are computed (environment, home
 * directory) are written by hand as `(default: $HOMEOSTAT_SERVER or …)`; this makes the first kind read like the
 * second. Typed structurally (contract/ does not depend on commander): a commander `Command` is one.
 */

/** The part of a commander command (and its options) this reads and writes. */
export interface HelpStyled {
  readonly options: readonly { readonly defaultValue?: unknown; defaultValueDescription?: string | undefined }[];
  readonly commands: readonly HelpStyled[];
}

/** Gives every string default of `cmd` and its subcommands a plain description (`''` reads "none"). */
export function plainDefaults<C extends HelpStyled>(cmd: C): C {
  for (const o of cmd.options) {
    if (typeof o.defaultValue === 'string' && o.defaultValueDescription === undefined)
      o.defaultValueDescription = o.defaultValue === '' ? 'none' : o.defaultValue;
  }
  for (const sub of cmd.commands) plainDefaults(sub);
  return cmd;
}
