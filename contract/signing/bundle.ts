/**
 * Builders of the signed documents the control plane sends: policy bundles (`policy` command) and model manifests
 * (`model` command). Agents verify them with agent/fleet against the key pinned at enrollment.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { EngineVerdictSchema } from '../models/verdict.ts';
import type { Command } from '../protocol/index.ts';
import { signEnvelope, type SignedEnvelope } from './signature.ts';

/**
 * Schema of a policy bundle's payload, declared once for both sides: the control plane builds it, the agent checks a
 * verified envelope's payload with it. `document` is the policy set as written (validated by contract/policy/schema.ts
 * on both sides).
 */
export const PolicyBundleSchema = z.object({
  policySet: z.string().min(1).max(256),
  version: z.string().min(1).max(256),
  issuedAt: z.number().int().nonnegative(),
  document: z.record(z.string(), z.unknown()),
});

/** Payload of a policy bundle ({@link PolicyBundleSchema}). */
export type PolicyBundlePayload = z.infer<typeof PolicyBundleSchema> & Record<string, unknown>;

/** Schema of a model manifest's payload. `url` is relative to the control plane (`/api/models/<id>/file`).
 * `verdict`: the control plane's check of the agent's JS engine against onnxruntime on this model
 * (models/verdict.ts), absent when the model was registered unverified. */
export const ModelManifestSchema = z.object({
  modelId: z.string(),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  version: z.string().regex(/^[A-Za-z0-9._-]+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  url: z.string(),
  featureSchemaVersion: z.string(),
  issuedAt: z.number(),
  card: z.record(z.string(), z.unknown()),
  verdict: EngineVerdictSchema.optional(),
});

/** Payload of a model manifest ({@link ModelManifestSchema}). */
export type ModelManifestPayload = z.infer<typeof ModelManifestSchema> & Record<string, unknown>;

/** Schema of an agent release manifest (`agent-upgrade` command): the self-contained agent artifact
 * (packaging/package-agent.mjs) to download from `url` (relative to the control plane), check against `sha256` and
 * `size`, and verify with `signature` (base64 ed25519 signature of the artifact's bytes by the same pinned key). */
export const AgentReleaseSchema = z.object({
  version: z
    .string()
    .regex(/^[0-9A-Za-z][0-9A-Za-z.+~-]{0,63}$/)
    // the install root's links are named so: a release by either name would replace a link with a directory
    .refine((v) => v !== 'current' && v !== 'previous', 'must not be "current" or "previous"'),
  platform: z.string().regex(/^linux-(x64|arm64)$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().positive(),
  url: z.string().min(1).max(2048),
  signature: z.string().min(1).max(256),
  issuedAt: z.number(),
});

/** Payload of an agent release manifest ({@link AgentReleaseSchema}). */
export type AgentReleasePayload = z.infer<typeof AgentReleaseSchema> & Record<string, unknown>;

/** Signs a policy bundle and wraps it in the `policy` command. */
export function policyCommand(payload: PolicyBundlePayload, key: KeyObject): Extract<Command, { type: 'policy' }> {
  return {
    v: 1,
    type: 'policy',
    bundle: { ...signEnvelope('policy-bundle', payload, key) },
  };
}

/** Signs a model manifest and wraps it in the `model` command. */
export function modelCommand(payload: ModelManifestPayload, key: KeyObject): Extract<Command, { type: 'model' }> {
  return {
    v: 1,
    type: 'model',
    manifest: { ...signEnvelope('model-manifest', payload, key) },
  };
}

export type { SignedEnvelope };

/** Signs an agent release manifest and wraps it in the `agent-upgrade` command. */
export function agentReleaseCommand(
  payload: AgentReleasePayload,
  key: KeyObject,
): Extract<Command, { type: 'agent-upgrade' }> {
  return {
    v: 1,
    type: 'agent-upgrade',
    manifest: { ...signEnvelope('agent-release', payload, key) },
  };
}
