/**
 * Mosquitto's dynamic-security plugin, managed by the control plane over `$CONTROL/dynamic-security/v1`: one client
 * and one role per agent whose ACL is exactly what the embedded broker enforces (authorize.ts), created at enrollment
 * and disabled at revocation (disabling kicks the live session). `agentAcls` is the pure part; `createDynsec` sends the
 * commands and matches the answers by correlation data.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import {
  AGENT_TOPIC_KINDS,
  FLEET_WILDCARD,
  TOPIC_ROOT,
  agentTopic,
  commandTopic,
} from '../../contract/protocol/index.ts';

export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;
/** The role the control plane gives its own client: publish commands, read every agent topic (shared or not). */
export const CONTROL_PLANE_ROLE = 'homeostat-control-plane';

export type DynsecAcl = { acltype: string; topic: string; allow: boolean; priority?: number };

/** The role name of one agent. */
export const agentRole = (agentId: string) => `homeostat-agent-${agentId}`;

/**
 * The embedded broker's rules as dynamic-security ACLs: publish only `homeostat/v1/agents/<id>/<kind>` (one literal
 * topic per kind, so no other agent's prefix, no `$SYS`, no unknown kind), subscribe only to the own command topic and
 * filters under `homeostat/v1/fleet/`, never receive another agent's messages. Everything else falls to the default
 * access, which `controlPlaneSetup` sets to deny for publishing and subscribing.
 */
export function agentAcls(agentId: string): DynsecAcl[] {
  return [
    ...AGENT_TOPIC_KINDS.map((k) => ({ acltype: 'publishClientSend', topic: agentTopic(agentId, k), allow: true })),
    { acltype: 'subscribeLiteral', topic: commandTopic(agentId), allow: true },
    { acltype: 'subscribePattern', topic: FLEET_WILDCARD, allow: true },
    { acltype: 'publishClientReceive', topic: `${TOPIC_ROOT}/agents/#`, allow: false },
  ];
}

/** The control plane's own role: send on every homeostat topic, subscribe (and receive) to all of them. */
export function controlPlaneAcls(): DynsecAcl[] {
  return [
    { acltype: 'publishClientSend', topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'publishClientReceive', topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'subscribePattern', topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'subscribePattern', topic: '$share/#', allow: true },
  ];
}

export type DynsecCommand = { command: string } & Record<string, unknown>;

export class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`dynamic-security ${command} failed: ${reason}`);
  }
}

export type Dynsec = {
  /** Sends commands in one message; resolves with each answer's error (or null), rejects on timeout. */
  send(commands: DynsecCommand[]): Promise<(string | null)[]>;
  /** Creates the control plane's role, gives it to `username` and sets the default access to deny. Idempotent. */
  setupControlPlane(username: string): Promise<void>;
  /** Creates (or replaces) the agent's role and client. */
  createAgent(agentId: string, password: string): Promise<void>;
  /** Disables the agent's client: refused from now on, its session kicked. */
  disableAgent(agentId: string): Promise<void>;
  /** Disables many agents' clients, 100 commands per message (an unknown client is no error). */
  disableAgents(agentIds: readonly string[]): Promise<void>;
  /** Secret rotation: the agent's new password (Mosquitto keeps one; its live session stays connected). */
  setAgentPassword(agentId: string, password: string): Promise<void>;
  close(): void;
};

const ALREADY = /already exists|already has/i;

/** Wraps a connected client (which must be allowed on `$CONTROL/dynamic-security/#`). */
export async function createDynsec(client: MqttClient, timeoutMs = 10_000): Promise<Dynsec> {
  const pending = new Map<string, { resolve(errors: (string | null)[]): void; n: number; got: (string | null)[] }>();
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    let body: { responses?: { command?: string; error?: string; correlationData?: string }[] };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    for (const r of body.responses ?? []) {
      const [id, index] = String(r.correlationData ?? '').split(':');
      const p = pending.get(id ?? '');
      if (!p) continue;
      p.got[Number(index)] = r.error ?? null;
      if (--p.n === 0) {
        pending.delete(id!);
        p.resolve(p.got);
      }
    }
  };
  client.on('message', onMessage);
  await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });

  const send = (commands: DynsecCommand[]): Promise<(string | null)[]> => {
    const id = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`dynamic-security: no answer within ${timeoutMs} ms (is the plugin loaded?)`));
      }, timeoutMs);
      pending.set(id, {
        n: commands.length,
        got: [],
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
      const body = { commands: commands.map((c, i) => ({ ...c, correlationData: `${id}:${i}` })) };
      client.publish(DYNSEC_TOPIC, JSON.stringify(body), { qos: 1 }, (err) => {
        if (!err) return;
        clearTimeout(timer);
        pending.delete(id);
        reject(err);
      });
    });
  };
  const hasRole = async (username: string): Promise<boolean> => {
    const id = randomBytes(8).toString('hex');
    const answer = new Promise<{ roles?: { rolename: string }[] } | null>((resolve) => {
      const timer = setTimeout(() => {
        client.off('message', onClient);
        resolve(null);
      }, timeoutMs);
      const onClient = (topic: string, payload: Buffer) => {
        if (topic !== DYNSEC_RESPONSE_TOPIC || !payload.includes(id)) return;
        clearTimeout(timer);
        client.off('message', onClient);
        const r = JSON.parse(payload.toString('utf8')).responses?.[0];
        resolve(r?.data?.client ?? null);
      };
      client.on('message', onClient);
    });
    client.publish(
      DYNSEC_TOPIC,
      JSON.stringify({ commands: [{ command: 'getClient', username, correlationData: id }] }),
      {
        qos: 1,
      },
    );
    const c = await answer;
    if (!c) throw new Error(`dynamic-security: getClient '${username}' got no answer (is the plugin loaded?)`);
    return (c.roles ?? []).some((r) => r.rolename === CONTROL_PLANE_ROLE);
  };
  const check = (commands: DynsecCommand[], errors: (string | null)[], tolerate = ALREADY) => {
    errors.forEach((e, i) => {
      if (e && !tolerate.test(e)) throw new DynsecError(commands[i]!.command, e);
    });
  };

  return {
    send,
    async setupControlPlane(username) {
      const cmds: DynsecCommand[] = [
        { command: 'createRole', rolename: CONTROL_PLANE_ROLE, acls: controlPlaneAcls() },
        {
          command: 'setDefaultACLAccess',
          acls: [
            { acltype: 'publishClientSend', allow: false },
            { acltype: 'publishClientReceive', allow: true },
            { acltype: 'subscribe', allow: false },
            { acltype: 'unsubscribe', allow: true },
          ],
        },
      ];
      check(cmds, await send(cmds));
      if (await hasRole(username)) return;
      // Mosquitto kicks a client whose roles change, this one included: no answer comes; wait for the reconnect.
      const reconnected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
      client.publish(
        DYNSEC_TOPIC,
        JSON.stringify({
          commands: [{ command: 'addClientRole', username, rolename: CONTROL_PLANE_ROLE, priority: 10 }],
        }),
        { qos: 1 },
      );
      await Promise.race([
        reconnected,
        new Promise((r) => setTimeout(r, timeoutMs)), // not kicked (an older plugin): the check below decides
      ]);
      if (!(await hasRole(username)))
        throw new DynsecError('addClientRole', `client '${username}' did not get role '${CONTROL_PLANE_ROLE}'`);
    },
    async createAgent(agentId, password) {
      const role = agentRole(agentId);
      // A leftover of an earlier attempt with this id is replaced (ids are random, so only a retry can collide).
      await send([
        { command: 'deleteClient', username: agentId },
        { command: 'deleteRole', rolename: role },
      ]);
      const cmds: DynsecCommand[] = [
        { command: 'createRole', rolename: role, acls: agentAcls(agentId) },
        { command: 'createClient', username: agentId, clientid: agentId, password, roles: [{ rolename: role }] },
      ];
      check(cmds, await send(cmds), /^$/);
    },
    async setAgentPassword(agentId, password) {
      const cmds: DynsecCommand[] = [{ command: 'setClientPassword', username: agentId, password }];
      check(cmds, await send(cmds), /^$/);
    },
    async disableAgent(agentId) {
      const cmds: DynsecCommand[] = [{ command: 'disableClient', username: agentId }];
      check(cmds, await send(cmds), /not found/i);
    },
    async disableAgents(agentIds) {
      for (let i = 0; i < agentIds.length; i += 100) {
        const cmds = agentIds.slice(i, i + 100).map((username) => ({ command: 'disableClient', username }));
        check(cmds, await send(cmds), /not found/i);
      }
    },
    close() {
      client.off('message', onMessage);
    },
  };
}
