import { WebgradError } from '../errors.js';
import { options } from '../options.js';
import { Optimizer } from './optimizer.js';
import { checkInteger, checkNumber, nonNegative } from './validate.js';

// torch.optim.lr_scheduler (1.13): each scheduler sets every group's lr when constructed
// (epoch 0) and on each step(), with torch's chainable formulas (the new lr from the group's
// current one), so schedules compose and match torch's floating point step for step.

/** Any optimizer a scheduler can drive (its param groups' `lr` is what it sets). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any, any>;

/**
 * What a scheduler's stateDict holds: plain numbers, saved with `wg.save` alongside the rest.
 *
 * @property lastEpoch The epoch the current lrs belong to.
 * @property baseLrs Each group's `initialLr`.
 * @property stepCount Steps taken since construction (or since SequentialLR restarted it).
 * @property lastLr The lrs set last, one per group.
 */
export type SchedulerStateDict = { lastEpoch: number; baseLrs: number[]; stepCount: number; lastLr: number[] };

/** Common options: `lastEpoch` resumes a schedule (the groups must then hold `initialLr`). */
export interface SchedulerOptions {
  /** The last epoch already run when resuming (default -1: start fresh at epoch 0). */
  lastEpoch?: number;
}

function checkOptimizer(op: string, optimizer: unknown): AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) throw new WebgradError(op, `expected an optimizer, got ${typeof optimizer}`);
  return optimizer;
}

/** Base of the schedulers (torch's _LRScheduler). */
export abstract class LRScheduler<O extends SchedulerOptions = SchedulerOptions> {
  /** The optimizer whose param groups' `lr` this scheduler sets. */
  readonly optimizer: AnyOptimizer;
  /** The epoch (step count) the current lrs belong to; -1 before the first. */
  lastEpoch: number;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The scheduler's class name, used in error messages. */
  protected readonly name: string;
  /** The subclass's options, stored here so the first step (run by this constructor) sees them. */
  protected readonly opts: Required<O>;
  /** Steps taken since construction (the construction step counts as one). */
  protected stepCount = 0;
  #lastLr: number[] = [];

  protected constructor(name: string, optimizer: unknown, opts: Required<O>) {
    this.name = name;
    this.optimizer = checkOptimizer(name, optimizer);
    this.opts = opts;
    const lastEpoch = opts.lastEpoch;
    checkInteger(name, 'lastEpoch', lastEpoch, -1);
    const groups = this.optimizer.paramGroups;
    groups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) throw new WebgradError(name, `resuming at lastEpoch ${lastEpoch} needs initialLr in param group ${i} (load the optimizer's stateDict first)`);
    });
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch as number;
    this.initialStep();
  }

  /** The lrs for `lastEpoch`, from the groups' current lrs (torch's chainable get_lr). */
  protected abstract getLr(): number[];

  /** The lrs at `lastEpoch` straight from `baseLrs`, where the schedule has a closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** @internal Restarts the step count and sets the lrs for the next epoch (SequentialLR uses it). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch (call it after `optimizer.step()`) and sets every group's lr. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.#apply(this.getLr());
  }

  /** @internal Jumps to `epoch` (torch's deprecated step(epoch), which SequentialLR still uses). */
  stepTo(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.#apply(this.closedFormLr() ?? this.getLr());
  }

  #apply(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]));
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lrs this scheduler set last, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The optimizer's current lr of each group. */
  protected get groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The schedule's position as plain numbers, to save with the optimizer's and restore with
   * `loadStateDict`. The schedule's options (gamma, tMax...) are not included: the constructor gives them.
   *
   * PyTorch equivalent: `torch.optim.lr_scheduler._LRScheduler.state_dict`.
   */
  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], stepCount: this.stepCount, lastLr: this.getLastLr() };
  }

  /**
   * Restores a position saved by `stateDict()` (checked first: one lr per group, integer epochs,
   * no unknown keys). The group lrs themselves come from the optimizer's own state dict.
   *
   * PyTorch equivalent: `torch.optim.lr_scheduler._LRScheduler.load_state_dict`.
   */
  loadStateDict(dict: SchedulerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    const d = options(op, dict, ['lastEpoch', 'baseLrs', 'stepCount', 'lastLr']);
    const n = this.optimizer.paramGroups.length;
    checkInteger(op, 'lastEpoch', d.lastEpoch, -1);
    checkInteger(op, 'stepCount', d.stepCount, 0);
    for (const key of ['baseLrs', 'lastLr'] as const) {
      const v = d[key];
      if (!Array.isArray(v) || v.length !== n) throw new WebgradError(op, `${key} must hold one number per param group (${n})`);
      v.forEach((x, i) => checkNumber(op, `${key}[${i}]`, x, () => true, 'a finite number'));
    }
    this.lastEpoch = d.lastEpoch!;
    this.stepCount = d.stepCount!;
    this.baseLrs = [...d.baseLrs!];
    this.#lastLr = [...d.lastLr!];
  }
}

/** The factor applied to a group's initial lr at `epoch`. */
/** LambdaLR's factor for an epoch: the group's lr is its initial lr times this. */
export type LrLambda = (epoch: number) => number;

/**
 * lr = initialLr · lrLambda(epoch), one function for all groups or one per group.
 *
 * @property lrLambdas The factor function of each group.
 */
export class LambdaLR extends LRScheduler<
  SchedulerOptions & {
    /** The factor function of each group. */
    lrLambdas: LrLambda[];
  }
> {
  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | LrLambda[], opts?: SchedulerOptions) {
    const o = options('LambdaLR', opts, ['lastEpoch']);
    const groups = checkOptimizer('LambdaLR', optimizer).paramGroups.length;
    const lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: groups }, () => lrLambda);
    if (lrLambdas.length !== groups) throw new WebgradError('LambdaLR', `expected ${groups} lrLambdas (one per param group), got ${lrLambdas.length}`);
    lrLambdas.forEach((f, i) => {
      if (typeof f !== 'function') throw new WebgradError('LambdaLR', `lrLambda ${i} must be a function of the epoch, got ${typeof f}`);
    });
    super('LambdaLR', optimizer, { lrLambdas, lastEpoch: o.lastEpoch ?? -1 });
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.opts.lrLambdas[i](this.lastEpoch));
  }
}

export interface StepLROptions extends SchedulerOptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplicative decay factor (default 0.1). */
  gamma?: number;
}

/** lr decays by `gamma` every `stepSize` epochs. */
export class StepLR extends LRScheduler<StepLROptions> {
  constructor(optimizer: AnyOptimizer, opts: StepLROptions) {
    const o = options('StepLR', opts, ['stepSize', 'gamma', 'lastEpoch']);
    checkInteger('StepLR', 'stepSize', o.stepSize, 1);
    const gamma = o.gamma ?? 0.1;
    nonNegative('StepLR', 'gamma', gamma);
    super('StepLR', optimizer, { stepSize: o.stepSize!, gamma, lastEpoch: o.lastEpoch ?? -1 });
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.opts.stepSize !== 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.opts.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.opts.gamma ** Math.floor(this.lastEpoch / this.opts.stepSize));
  }
}

export interface ExponentialLROptions extends SchedulerOptions {
  /** Multiplicative decay factor per epoch (required). */
  gamma: number;
}

/** lr decays by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler<ExponentialLROptions> {
  constructor(optimizer: AnyOptimizer, opts: ExponentialLROptions) {
    const o = options('ExponentialLR', opts, ['gamma', 'lastEpoch']);
    nonNegative('ExponentialLR', 'gamma', o.gamma);
    super('ExponentialLR', optimizer, { gamma: o.gamma!, lastEpoch: o.lastEpoch ?? -1 });
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.opts.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.opts.gamma ** this.lastEpoch);
  }
}

export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Epochs from the initial lr down to `etaMin` (torch's T_max); the schedule then rises again. */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/** lr = etaMin + (initialLr - etaMin)·(1 + cos(π·epoch/tMax))/2, in torch's recursive form. */
export class CosineAnnealingLR extends LRScheduler<CosineAnnealingLROptions> {
  constructor(optimizer: AnyOptimizer, opts: CosineAnnealingLROptions) {
    const o = options('CosineAnnealingLR', opts, ['tMax', 'etaMin', 'lastEpoch']);
    checkNumber('CosineAnnealingLR', 'tMax', o.tMax, (v) => v > 0, 'a finite number > 0');
    const etaMin = o.etaMin ?? 0;
    nonNegative('CosineAnnealingLR', 'etaMin', etaMin);
    super('CosineAnnealingLR', optimizer, { tMax: o.tMax!, etaMin, lastEpoch: o.lastEpoch ?? -1 });
  }

  protected getLr(): number[] {
    const { tMax, etaMin } = this.opts;
    const e = this.lastEpoch;
    if (e === 0) return this.groupLrs;
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return this.groupLrs.map((lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.groupLrs.map((lr) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { tMax, etaMin } = this.opts;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / tMax))) / 2);
  }
}

export interface LinearLROptions extends SchedulerOptions {
  /** Multiplier of the initial lr at epoch 0 (default 1/3; in (0, 1]). */
  startFactor?: number;
  /** Multiplier reached at `totalIters` and kept afterwards (default 1; in [0, 1]). */
  endFactor?: number;
  /** Epochs the linear change takes (default 5). */
  totalIters?: number;
}

/** lr goes linearly from startFactor·initialLr to endFactor·initialLr over `totalIters` epochs. */
export class LinearLR extends LRScheduler<LinearLROptions> {
  constructor(optimizer: AnyOptimizer, opts?: LinearLROptions) {
    const o = options('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    const startFactor = o.startFactor ?? 1 / 3;
    const endFactor = o.endFactor ?? 1;
    const totalIters = o.totalIters ?? 5;
    // 0 is refused too: torch's recursive form divides by totalIters·startFactor.
    checkNumber('LinearLR', 'startFactor', startFactor, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    checkNumber('LinearLR', 'endFactor', endFactor, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    checkInteger('LinearLR', 'totalIters', totalIters, 1);
    super('LinearLR', optimizer, { startFactor, endFactor, totalIters, lastEpoch: o.lastEpoch ?? -1 });
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this.opts;
    if (this.lastEpoch === 0) return this.groupLrs.map((lr) => lr * s);
    if (this.lastEpoch > n) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * (1 + (f - s) / (n * s + (this.lastEpoch - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this.opts;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** Run one after another: schedulers[i] from milestones[i-1] on. */
  schedulers: LRScheduler[];
  /**
   * The epochs at which the next scheduler takes over: increasing integers > 0, one fewer than `schedulers`.
   */
  milestones: number[];
  /** The last epoch already run when resuming (default -1: start fresh). */
  lastEpoch?: number;
}

/**
 * Runs `schedulers` in turn, switching at each milestone epoch (the next one restarts from
 * its epoch 0), as torch's SequentialLR: e.g. LinearLR warm-up, then CosineAnnealingLR.
 * Create the schedulers first; this constructor rewinds them.
 */
export class SequentialLR {
  /** The optimizer whose param groups' `lr` the schedulers set. */
  readonly optimizer: AnyOptimizer;
  /** The epoch the current lrs belong to (0 after construction). */
  lastEpoch: number;
  readonly #schedulers: LRScheduler[];
  readonly #milestones: number[];
  #lastLr: number[];

  constructor(optimizer: AnyOptimizer, opts: SequentialLROptions) {
    const op = 'SequentialLR';
    const o = options(op, opts, ['schedulers', 'milestones', 'lastEpoch']);
    this.optimizer = checkOptimizer(op, optimizer);
    const { schedulers, milestones } = o;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new WebgradError(op, 'schedulers must be a non-empty array of schedulers');
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new WebgradError(op, `schedulers[${i}] is not an lr scheduler`);
      if (s.optimizer !== optimizer) throw new WebgradError(op, `schedulers[${i}] belongs to a different optimizer than the one passed in`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new WebgradError(op, `expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), got ${Array.isArray(milestones) ? milestones.length : typeof milestones}`);
    }
    milestones.forEach((m, i) => checkNumber(op, `milestones[${i}]`, m, (v) => Number.isInteger(v) && v > (i > 0 ? milestones[i - 1] : 0), 'increasing integers > 0'));
    const lastEpoch = o.lastEpoch ?? -1;
    checkInteger(op, 'lastEpoch', lastEpoch, -1);
    this.#schedulers = [...schedulers];
    this.#milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // Back to the initial lrs, every scheduler's construction step undone, then the first one's.
    for (const g of this.optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].initialStep();
    this.#lastLr = schedulers[0].getLastLr();
  }

  /**
   * Advances one epoch (call it after `optimizer.step()`): steps the scheduler in charge, or
   * restarts the next one at its epoch 0 on a milestone.
   *
   * PyTorch equivalent: `torch.optim.lr_scheduler.SequentialLR.step`.
   */
  step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.#milestones.length && this.#milestones[idx] <= this.lastEpoch) idx++;
    const s = this.#schedulers[idx];
    if (idx > 0 && this.#milestones[idx - 1] === this.lastEpoch) s.stepTo(0);
    else s.step();
    this.#lastLr = s.getLastLr();
  }

  /** The lrs set last, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /**
   * The position of this schedule and of each scheduler in it, as plain numbers.
   *
   * @property lastEpoch The epoch the current lrs belong to.
   * @property lastLr The lrs set last, one per group.
   * @property schedulers Each scheduler's own state dict.
   *
   * PyTorch equivalent: `torch.optim.lr_scheduler.SequentialLR.state_dict`.
   */
  stateDict(): {
    /** Steps taken. */
    lastEpoch: number;
    /** Each group's lr after the last step. */
    lastLr: number[];
    /** The state of each scheduler in the sequence. */
    schedulers: SchedulerStateDict[];
  } {
    return { lastEpoch: this.lastEpoch, lastLr: this.getLastLr(), schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  /**
   * Restores a position saved by `stateDict()`; if any scheduler refuses its part, none is changed.
   *
   * PyTorch equivalent: `torch.optim.lr_scheduler.SequentialLR.load_state_dict`.
   */
  loadStateDict(dict: { lastEpoch: number; lastLr: number[]; schedulers: SchedulerStateDict[] }): void {
    const op = 'SequentialLR.loadStateDict';
    const d = options(op, dict, ['lastEpoch', 'lastLr', 'schedulers']);
    checkInteger(op, 'lastEpoch', d.lastEpoch, 0);
    if (!Array.isArray(d.schedulers) || d.schedulers.length !== this.#schedulers.length) {
      throw new WebgradError(op, `expected ${this.#schedulers.length} scheduler states`);
    }
    if (!Array.isArray(d.lastLr) || d.lastLr.length !== this.optimizer.paramGroups.length) throw new WebgradError(op, 'lastLr must hold one number per param group');
    // Each scheduler checks its own dict before any is changed: load into copies first.
    const before = this.#schedulers.map((s) => s.stateDict());
    try {
      this.#schedulers.forEach((s, i) => s.loadStateDict(d.schedulers![i]));
    } catch (e) {
      this.#schedulers.forEach((s, i) => s.loadStateDict(before[i]));
      throw e;
    }
    this.lastEpoch = d.lastEpoch!;
    this.#lastLr = [...d.lastLr];
  }
}
