#!/usr/bin/env node
// Development launcher of `homeostat-agent`: runs the TypeScript sources through tsx (a devDependency). The installed
// command is the compiled bundle, dist/agent/homeostat-agent.mjs (npm run build:agent).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./homeostat-agent.ts');
await main(process.argv);
