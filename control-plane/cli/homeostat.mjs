#!/usr/bin/env node
// The `homeostat` command. Sources are TypeScript run through tsx (a runtime dependency), so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./homeostat.ts');
await main(process.argv);
