import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests import the library by its package name, as a user would ('webgrad-gpu'); the package's
// exports map sends the `webgrad-source` condition to src/index.ts, so they run the sources
// without a build. Setting conditions replaces Vite's defaults, hence the rest of each list
// (Vite's defaultServerConditions / defaultClientConditions, written out: vite is not a direct
// dependency).
const SOURCE = 'webgrad-source';

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] } },
  plugins: [
    {
      // Same contract as the bundle and the Node loader: a `.wgsl` import is its source text.
      name: 'wgsl-text',
      transform(_code: string, id: string) {
        if (!id.endsWith('.wgsl')) return null;
        return { code: `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`, map: null };
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
