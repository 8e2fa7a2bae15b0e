// Development launcher of the local agent's worker thread (local-agent.ts): runs the TypeScript source through tsx,
// as control-plane/cli/homeostat.mjs does for the program. The build bundles local-agent-worker.ts under this name.
import { register } from 'tsx/esm/api';

register();
await import('./local-agent-worker.ts');
