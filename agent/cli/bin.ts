/** Entry of the compiled `homeostat-agent` (agent/build.mjs bundles this file). */
import { main } from './homeostat-agent.ts';

await main(process.argv);
