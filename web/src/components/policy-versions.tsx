/** A policy set's versions in the policy list: the newest, the one live on the hosts, and one still rolling out. */
import type { PolicySummary } from '../../../contract/api/policies.ts';

export function PolicyVersions({ policy: p }: { policy: PolicySummary }) {
  return (
    <span className="muted" data-testid={`policy-versions-${p.name}`}>
      {' '}
      v{p.latestVersion}
      {p.publishedVersion === null ? ' · not live' : ` · live v${p.publishedVersion}`}
      {p.rollingOutVersion !== null && ` · rolling out v${p.rollingOutVersion}`}
    </span>
  );
}
