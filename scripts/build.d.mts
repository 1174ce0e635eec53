// Types for scripts/build.mjs, which the bundle test and the demo server import.
import type { BuildOptions, Plugin } from 'esbuild';

export declare const browserStubs: Plugin;
export declare function browserOptions(outfile: string): BuildOptions;
export declare function nodeOptions(outfile: string): BuildOptions;
export declare function sizes(file: string): { raw: number; gzip: number };
