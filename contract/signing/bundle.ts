/**
 * Builders of the signed documents the control plane sends: policy bundles (`policy` command) and model manifests
 * (`model` command). Agents verify them with agent/fleet against the key pinned at enrollment.
 */
import type { KeyObject } from 'node:crypto';
import type { Command } from '../protocol/index.ts';
import { signEnvelope, type SignedEnvelope } from './signature.ts';

/** Payload of a policy bundle. `document` is the validated policy set (agent/heal/policy/schema.ts). */
export interface PolicyBundlePayload extends Record<string, unknown> {
  policySet: string;
  version: string;
  issuedAt: number;
  document: Record<string, unknown>;
}

/** Payload of a model manifest. `url` is relative to the control plane (`/api/models/<id>/file`). */
export interface ModelManifestPayload extends Record<string, unknown> {
  modelId: string;
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  url: string;
  featureSchemaVersion: string;
  issuedAt: number;
  card: Record<string, unknown>;
}

/** Signs a policy bundle and wraps it in the `policy` command. */
export function policyCommand(payload: PolicyBundlePayload, key: KeyObject): Extract<Command, { type: 'policy' }> {
  return { v: 1, type: 'policy', bundle: signEnvelope('policy-bundle', payload, key) as unknown as Record<string, unknown> };
}

/** Signs a model manifest and wraps it in the `model` command. */
export function modelCommand(payload: ModelManifestPayload, key: KeyObject): Extract<Command, { type: 'model' }> {
  return { v: 1, type: 'model', manifest: signEnvelope('model-manifest', payload, key) as unknown as Record<string, unknown> };
}

export type { SignedEnvelope };
