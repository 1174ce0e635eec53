// Lets Node run the TypeScript sources directly (examples, bench): `node --import ./scripts/register.mjs x.ts`.
// TypeScript is stripped by esbuild (already a dependency); `.wgsl` shaders load as text, as in the bundle.
import { register } from 'node:module';
register('./loader.mjs', import.meta.url);
