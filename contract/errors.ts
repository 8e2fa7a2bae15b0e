/**
 * Domain errors. Each carries typed fields; `control-plane/api/on-error.ts` maps them to HTTP in one place.
 * Messages name the field or thing that was wrong and what is allowed.
 */
export class HomeostatError extends Error {
  override name = 'HomeostatError';
}

/** Input failed validation. `issues` lists every problem (path + message), not just the first. */
export class ValidationError extends HomeostatError {
  override name = 'ValidationError';
  constructor(
    public readonly issues: { path: string; message: string }[],
    what = 'input',
  ) {
    super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

/** Caller is not authenticated (missing/wrong credentials). */
export class UnauthenticatedError extends HomeostatError {
  override name = 'UnauthenticatedError';
}

/** Caller is authenticated but its role does not allow this. */
export class ForbiddenError extends HomeostatError {
  override name = 'ForbiddenError';
  constructor(
    public readonly role: string,
    public readonly needed: string,
  ) {
    super(`role '${role}' may not do this; needs '${needed}'`);
  }
}

/** A named thing does not exist. */
export class NotFoundError extends HomeostatError {
  override name = 'NotFoundError';
  constructor(
    public readonly kind: string,
    public readonly id: string,
  ) {
    super(`${kind} '${id}' not found`);
  }
}

/** The request conflicts with current state (used-up token, revoked agent, stale version, …). */
export class ConflictError extends HomeostatError {
  override name = 'ConflictError';
  constructor(
    message: string,
    public readonly reason: string = 'conflict',
  ) {
    super(message);
  }
}

/** Load shedding: a bounded queue is full. */
export class OverloadedError extends HomeostatError {
  override name = 'OverloadedError';
  constructor(
    public readonly queue: string,
    public readonly capacity: number,
  ) {
    super(`queue '${queue}' is full (capacity ${capacity})`);
  }
}

/** Too many failed logins for a username or from an address: retry after `retryAfterSeconds`. */
export class TooManyAttemptsError extends HomeostatError {
  override name = 'TooManyAttemptsError';
  constructor(
    public readonly key: 'username' | 'address',
    public readonly retryAfterSeconds: number,
  ) {
    super(`login: too many failed attempts for this ${key}; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Converts zod issues into ValidationError issues with dotted paths. A record key that failed its schema is reported
 * with the key schema's own messages (`invalid key: must be …`) instead of zod's generic "Invalid key in record".
 */
export function zodIssues(error: {
  issues: { path: PropertyKey[]; message: string; code?: string; issues?: { message: string }[] }[];
}): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message:
      i.code === 'invalid_key' && i.issues?.length
        ? `invalid key: ${i.issues.map((k) => k.message).join('; ')}`
        : i.message,
  }));
}

/** The model could not be loaded or run by this engine; `model` names it, `reason` says why. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    public readonly model: string,
    public readonly reason: string,
  ) {
    super(`model '${model}': ${reason}`);
  }
}

/** A listener could not bind: the port is taken (or not permitted). `setting` names the config key that sets it. */
export class PortInUseError extends HomeostatError {
  override name = 'PortInUseError';
  constructor(
    public readonly setting: 'httpPort' | 'mqttPort' | 'wsPort',
    public readonly host: string,
    public readonly port: number,
    public readonly code: string,
  ) {
    super(
      `${setting}: port ${port} on ${host} is ${code === 'EACCES' ? 'not permitted (below 1024 needs privileges)' : 'already in use'}`,
    );
  }
}

/** A model refit from fleet data cannot run on what the window holds (no hosts, no samples, too few); the message
 * says what was found and what is needed. */
export class RefitDataError extends HomeostatError {
  override name = 'RefitDataError';
  constructor(
    message: string,
    public readonly reason: 'no-hosts' | 'no-samples' | 'no-features' | 'too-few-samples',
  ) {
    super(message);
  }
}

/** A signed model that this agent cannot run: it was fitted on a feature vector the agent does not produce. */
export class IncompatibleModelError extends HomeostatError {
  override name = 'IncompatibleModelError';
  readonly reason = 'feature-schema';
  constructor(
    public readonly model: string,
    detail: string,
  ) {
    super(`model ${model}: ${detail}`);
  }
}
