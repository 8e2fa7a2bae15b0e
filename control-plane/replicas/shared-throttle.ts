/**
 * The login throttle shared by replicas: every attempt, success and abandon a replica counts is sent to the others
 * over the replica channel (broker/port.ts) and counted there too, so guessing a password gets no more attempts by
 * spreading them over replicas behind a load balancer. Lockouts are decided locally from the shared counts; an attempt
 * in flight on two replicas at the same instant may each pass once (bounded by the replica count, once).
 * Until `connect` (or with no channel: one process) it is the plain throttle.
 */
import type { LoginThrottle } from '../access/login-throttle.ts';
import type { ReplicaChannel } from '../broker/port.ts';

export const THROTTLE_CHANNEL = 'login-throttle';

type Op = { op: 'attempt' | 'succeed' | 'abandon'; username: string; address: string | null };

export type SharedThrottle = LoginThrottle & { connect(channel: ReplicaChannel): Promise<() => void> };

export function createSharedThrottle(inner: LoginThrottle): SharedThrottle {
  let channel: ReplicaChannel | null = null;
  const send = (op: Op) => channel?.publish(THROTTLE_CHANNEL, JSON.stringify(op));
  return {
    ...inner,
    attempt(username, address) {
      inner.attempt(username, address); // throws while locked out: nothing to share
      send({ op: 'attempt', username, address });
    },
    succeed(username, address) {
      inner.succeed(username, address);
      send({ op: 'succeed', username, address });
    },
    abandon(username, address) {
      inner.abandon(username, address);
      send({ op: 'abandon', username, address });
    },
    async connect(c) {
      channel = c;
      return c.subscribe(THROTTLE_CHANNEL, (payload) => {
        let o: Op;
        try {
          o = JSON.parse(payload.toString('utf8')) as Op;
        } catch {
          return;
        }
        if (typeof o?.username !== 'string' || !(o.address === null || typeof o.address === 'string')) return;
        if (o.op === 'attempt') inner.record(o.username, o.address);
        else if (o.op === 'succeed') inner.succeed(o.username, o.address);
        else if (o.op === 'abandon') inner.abandon(o.username, o.address);
      });
    },
  };
}
