#!/usr/bin/env node
// Development launcher of `homeostat`: runs the TypeScript sources through tsx (a devDependency); tests and benchmarks
// use it. The installed command is the compiled bundle, dist/control-plane/homeostat.mjs (npm run build).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./homeostat.ts');
await main(process.argv);
