/** Entry of the compiled `homeostat` (control-plane/build.mjs bundles this file). */
import { main } from './homeostat.ts';

await main(process.argv);
