// Every public function, class and method, on every backend, with a real expected value.
// The case table (test/api-surface/: functions.ts, tensor.ts, modules.ts, losses.ts, optim.ts)
// is keyed by what the user types: 'add' for
// wg.add, 'nn.functional.mseLoss', 'Tensor#square' for a method, 'nn.Module#zeroGrad'. The
// completeness tests below enumerate the exports of src/index.ts (recursing into nn, optim,
// data and nn.functional) and the members of every exported class at run time, plus the names
// the README's API section mentions, and fail naming each one without a case. Adding an
// export therefore fails here until its row is added to CASES.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { CASES, FIELDS, PARTS } from './api-surface/index.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

/** Members that are not public API: found in the source (`protected`, `@internal`, `#private`). */
function nonPublicMembers(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(new URL('../src', import.meta.url).pathname);
  for (const file of files) {
    let cls: string | null = null;
    let internalNext = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const c = /^export (?:abstract )?class (\w+)/.exec(line);
      if (c) {
        cls = c[1];
        out.set(cls, out.get(cls) ?? new Set());
        continue;
      }
      if (!cls) continue;
      if (/^\s*(\/\*\*|\*).*@internal/.test(line)) {
        internalNext = true;
        continue;
      }
      const m = /^ {2}(protected\s+)?(?:static\s+)?(?:abstract\s+)?(?:override\s+)?(?:readonly\s+)?(?:async\s+)?\*?(?:get\s+|set\s+)?(\w+)\s*[(<:=]/.exec(line);
      if (m) {
        if (m[1] || internalNext) out.get(cls)!.add(m[2]);
        internalNext = false;
      } else if (!/^\s*(\*|\/\/|\/\*\*)/.test(line)) internalNext = false;
    }
  }
  return out;
}

const isClass = (v: unknown): v is new (...a: never[]) => unknown =>
  typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

const symbolName = (s: symbol): string =>
  s === Symbol.dispose ? '[Symbol.dispose]' : s === Symbol.asyncIterator ? '[Symbol.asyncIterator]' : s === Symbol.iterator ? '[Symbol.iterator]' : `[${String(s.description)}]`;

/** What must have a case: every export (recursing into namespaces) and every public member. */
function publicSurface(): string[] {
  const hidden = nonPublicMembers();
  const names: string[] = [];
  const visit = (ns: Record<string, unknown>, prefix: string): void => {
    for (const key of Object.keys(ns)) {
      const v = ns[key];
      const path = prefix + key;
      if (v !== null && typeof v === 'object' && Object.prototype.toString.call(v) === '[object Module]') {
        visit(v as Record<string, unknown>, `${path}.`);
        continue;
      }
      names.push(path);
      if (!isClass(v)) continue;
      const skip = hidden.get(v.name) ?? new Set<string>();
      for (const m of Object.getOwnPropertyNames(v.prototype)) if (m !== 'constructor' && !skip.has(m)) names.push(`${path}#${m}`);
      for (const s of Object.getOwnPropertySymbols(v.prototype)) names.push(`${path}#${symbolName(s)}`);
      for (const m of Object.getOwnPropertyNames(v)) if (!['length', 'name', 'prototype'].includes(m) && !skip.has(m)) names.push(`${path}.${m}`);
    }
  };
  visit(wg as unknown as Record<string, unknown>, '');
  return names;
}

/**
 * The names the README's API section promises, in the table's vocabulary: `wg.x`, `t.x`,
 * `m.x`, `opt.x`, `nn.X`/`optim.X`/`data.x`, the bare op names of the Creation and Ops
 * paragraphs, Module's methods and the `nn.functional` list of the nn paragraph, the
 * optimizers' and the lr schedulers' methods (written as calls).
 */
function readmeNames(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const api = readme.slice(readme.indexOf('\n## API'), readme.indexOf('\n## ', readme.indexOf('\n## API') + 1));
  const names = new Set<string>();
  const spans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  // Argument lists may wrap across lines, hence [^)] rather than `.`. A span that opens with `{`
  // or `[` is a literal (a result's fields, an example value), not names. With `calls`, only
  // names written as calls count: the optim paragraph also names arguments and dict fields.
  const bare = (text: string, prefix: string, calls = false): void => {
    for (const s of spans(text)) {
      if (/[.=]/.test(s.replace(/\([^]*\)/, '')) || /^[{[]/.test(s)) continue; // prefixed names are read below
      if (calls) {
        const call = /^([a-z]\w*_?)\(/.exec(s);
        if (call) names.add(prefix + call[1]);
        continue;
      }
      for (const w of s.replace(/\([^)]*\)/g, ' ').split(/[\s,/]+/)) if (/^[a-z]\w*_?$/.test(w)) names.add(prefix + w);
    }
  };
  const isNamespace = (ns: string, key: string): boolean => {
    const v = (wg as unknown as Record<string, Record<string, unknown>>)[ns]?.[key];
    return v !== null && typeof v === 'object' && Object.prototype.toString.call(v) === '[object Module]';
  };
  for (const para of api.split(/\n\n/)) {
    for (const s of spans(para)) {
      for (const m of s.matchAll(/\bwg\.(\w+)/g)) names.add(m[1]);
      for (const m of s.matchAll(/(?:^|[^\w.])(t|m|opt)\.(\w+)/g)) names.add(`${{ t: 'Tensor', m: 'nn.Module', opt: 'optim.Optimizer' }[m[1]]}#${m[2]}`);
      // A namespace (nn.functional, nn.utils, optim.lrScheduler) is not a row; its members are.
      for (const m of s.matchAll(/\b(nn|optim|data)\.(\w+)(?:\.(\w+))?/g)) {
        if (!isNamespace(m[1], m[2])) names.add(`${m[1]}.${m[2]}`);
        else if (m[3]) names.add(`${m[1]}.${m[2]}.${m[3]}`);
      }
    }
    if (para.startsWith('**Creation.**')) bare(para, '');
    if (para.startsWith('**Ops**')) bare(para, 'Tensor#');
    if (para.startsWith('**nn.**')) {
      const [mod, fn] = para.split('`nn.functional`');
      bare(mod.slice(mod.indexOf('(')), 'nn.Module#');
      bare(fn ?? '', 'nn.functional.');
    }
    if (para.startsWith('**optim.**')) {
      const [opt, sched] = para.slice(para.indexOf('—')).split('`optim.lrScheduler`');
      bare(opt, 'optim.Optimizer#', true);
      bare(sched ?? '', 'optim.lrScheduler.LRScheduler#', true);
    }
  }
  // Argument names, dtypes and backend names in the prose, not functions.
  for (const n of [...names]) if (/^(Tensor#)?(keepdim|float32|int32|float64|auto|cpu|webgpu)$/.test(n)) names.delete(n);
  return [...names].sort();
}

describe('API surface: every public name has a case', () => {
  it('every export and public member of src/index.ts has a row in CASES', () => {
    const missing = publicSurface().filter((n) => !(n in CASES));
    expect(missing, 'add a row to test/api-surface/*.ts for each').toEqual([]);
  });

  it("every name in the README's API section has a row in CASES", () => {
    const missing = readmeNames().filter((n) => !(n in CASES));
    expect(missing, 'add a row to test/api-surface/*.ts for each (or fix the README)').toEqual([]);
  });

  it('no key has a row in two files', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [part, rows] of Object.entries(PARTS)) {
      for (const k of Object.keys(rows)) {
        if (seen.has(k)) twice.push(`${k} (${seen.get(k)} and ${part})`);
        seen.set(k, part);
      }
    }
    expect(twice).toEqual([]);
  });

  it('no row names something that is neither exported nor in the README', () => {
    const known = new Set([...publicSurface(), ...readmeNames()]);
    const stale = Object.keys(CASES).filter((k) => !known.has(k) && !FIELDS.has(k));
    expect(stale).toEqual([]);
  });

  it('finds the surface it should (a sanity check on the enumeration itself)', () => {
    const surface = publicSurface();
    for (const n of ['add', 'Tensor#square', 'Tensor#[Symbol.dispose]', 'nn.functional.crossEntropy', 'optim.Adam#step', 'data.DataLoader#[Symbol.asyncIterator]']) {
      expect(surface).toContain(n);
    }
    for (const n of ['Tensor#setGradFn', 'Tensor#storage', 'Tensor.fromStorage', 'optim.SGD#validate']) expect(surface).not.toContain(n);
    const readme = readmeNames();
    for (const n of ['init', 'Tensor#square', 'Tensor#item', 'Tensor#ge', 'nn.Module#stateDict', 'nn.functional.crossEntropy', 'optim.Optimizer#step',
      'optim.Optimizer#addParamGroup', 'optim.lrScheduler.LRScheduler#getLastLr', 'nn.utils.clipGradNorm_', 'Tensor#amax']) {
      expect(readme).toContain(n);
    }
    // Not names: a namespace, a result's fields, an option, a dict field, a wrapped argument list.
    for (const n of ['nn.utils', 'optim.lrScheduler', 'Tensor#values', 'optim.Optimizer#false', 'optim.Optimizer#param_groups', 'optim.Optimizer#totalIters']) {
      expect(readme).not.toContain(n);
    }
  });
});

describeEachBackend(backends, 'API surface', (backend) => {
  it.each(Object.keys(CASES))('%s', async (name) => {
    await CASES[name]({ backend });
  });
});
