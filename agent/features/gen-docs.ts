/** Writes docs/features.md from the registry: `npx tsx agent/features/gen-docs.ts`. */
import { writeFileSync } from 'node:fs';
import { renderFeaturesDoc } from './docs.ts';

const target = new URL('../../docs/features.md', import.meta.url);
writeFileSync(target, renderFeaturesDoc());
console.error(`wrote ${target.pathname}`);
