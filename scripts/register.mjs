// Lets Node run the TypeScript sources directly (examples, bench): `node --import ./scripts/register.mjs x.ts`.
// TypeScript is stripped by esbuild (already a dependency); `.wgsl` shaders load as text, as in the bundle;
// the package name 'webgrad-gpu' resolves to src/index.ts (the `webgrad-source` export condition).
import { register } from 'node:module';
register('./loader.mjs', import.meta.url);
