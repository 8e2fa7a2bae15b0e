import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, Help } from 'commander';
import { COMMANDS } from '../../control-plane/cli/homeostat.ts';
import { buildAgentProgram } from '../../agent/cli/homeostat-agent.ts';
import { plainDefaults } from '../../contract/cli/help-style.ts';

/** Every command of a program, depth first, with its path. */
function* walk(cmd: Command, path: string): Generator<[string, Command]> {
  yield [path, cmd];
  for (const sub of cmd.commands) yield* walk(sub, `${path} ${sub.name()}`);
}

test('N5: both programs word every default as "(default: X)" and every command description in lower case', async () => {
  const full = new Command('homeostat');
  for (const c of COMMANDS) (await c.load()).register(full);
  const help = new Help();
  let options = 0;
  for (const [root, program] of [
    ['homeostat', full],
    ['homeostat-agent', buildAgentProgram()],
  ] as const) {
    for (const [path, cmd] of walk(plainDefaults(program), root)) {
      if (path !== root && cmd.description())
        assert.match(cmd.description(), /^([a-z`]|[A-Z]{2,}\b)/, `${path}: the description starts in lower case`);
      assert.doesNotMatch(cmd.description(), /\.$/, `${path}: no full stop`);
      for (const o of cmd.options) {
        options++;
        const text = help.optionDescription(o);
        assert.doesNotMatch(text, /default: "/, `${path} ${o.flags}: a default without JSON quotes: ${text}`);
        assert.doesNotMatch(text, /\bdefault (?!:)/i, `${path} ${o.flags}: "default:" with a colon: ${text}`);
        assert.doesNotMatch(text, /; default:/, `${path} ${o.flags}: the default in its own brackets: ${text}`);
      }
    }
  }
  assert.ok(options > 40, `${options} options checked`);
});
