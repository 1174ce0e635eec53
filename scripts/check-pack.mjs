// `npm run pack:check`: builds the package as `npm pack` would (scripts/build.mjs is the
// prepack script) and checks what `npm pack --dry-run` would publish: what must be there (the
// bundles, the types, every file the exports map names, the shaders, README, LICENSE,
// CHANGELOG), what must not (tests, fixtures, bench results, examples, sources, build
// leftovers), and the size.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

// Measured with the second milestone's ops (issue 11): 140 files, 806 KiB packed, 3,059 KiB
// unpacked, two thirds of it the two bundles' source maps (at 0.1.0: 89 files, 432 KiB). The
// bounds leave room for the CNN/GPT ops still coming without letting a stray folder slip in
// unnoticed (test/, fixtures and bench results are refused by name above; MNIST is 53 MB).
const MAX_PACKED = 1536 * 1024;
const MAX_UNPACKED = 6 * 1024 * 1024;

// The build prints its sizes; keep stdout for the JSON below.
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 2, 2] });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const [pack] = JSON.parse(out);
const files = new Set(pack.files.map((f) => f.path));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const problems = [];
const must = (path, why) => files.has(path) || problems.push(`missing ${path} (${why})`);

must('package.json', 'the manifest');
must('README.md', 'the package page');
must('LICENSE', `package.json says ${pkg.license}`);
must('CHANGELOG.md', 'what changed between versions');
must('dist/types/index.d.ts', 'the types');
// Every file the exports map (and main/types) points at, except the source condition, which
// only the repository's own tests and scripts ask for.
const targets = (v) => (typeof v === 'string' ? [v] : Object.entries(v).flatMap(([k, t]) => (k === 'webgrad-source' ? [] : targets(t))));
for (const t of [pkg.main, pkg.types, ...targets(pkg.exports)]) must(t.replace(/^\.\//, ''), 'named by package.json');
for (const f of readdirSync('shaders')) if (f.endsWith('.wgsl')) must(`shaders/${f}`, 'every shader, readable beside the bundles');

const forbidden = [
  [/^(test|bench|examples|docs|scripts|src|out|\.gpu|\.ci|node_modules)\//, 'not part of the package'],
  [/fixtures?\//, 'test fixtures'],
  [/(^|\/)results?\//, 'bench results'],
  [/\.(safetensors|tgz|tmp|log)$/, 'a build or run artifact'],
  [/(^|\/)\.[^/]+$/, 'a dot file'],
];
for (const f of files) for (const [re, why] of forbidden) if (re.test(f)) problems.push(`unexpected ${f} (${why})`);

if (pack.size > MAX_PACKED) problems.push(`packed size ${pack.size} B is over ${MAX_PACKED} B`);
if (pack.unpackedSize > MAX_UNPACKED) problems.push(`unpacked size ${pack.unpackedSize} B is over ${MAX_UNPACKED} B`);

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`${pack.id}: ${pack.entryCount} files, ${kib(pack.size)} packed, ${kib(pack.unpackedSize)} unpacked`);
if (problems.length) {
  for (const p of problems) console.error(`pack:check: ${p}`);
  process.exit(1);
}
console.log('pack:check: the published file list is as expected');
