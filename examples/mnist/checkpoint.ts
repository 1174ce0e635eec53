// Checkpoints for the MNIST job: everything a run needs to continue exactly where it stopped,
// written after every epoch and read back by `--resume` (after a lost GPU device, a crash, or
// Ctrl-C). One safetensors file: the model's and the optimizer's tensors, with the epoch, the
// RNG state and the metrics so far in its JSON tree (see wg.save).
import { mkdir, rename } from 'node:fs/promises';
import * as wg from 'webgrad-gpu';

/** The metrics of one finished epoch (as train.ts reports them). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

/** What a checkpoint restores besides the model and the optimizer. */
export interface Progress {
  /** Epochs finished (the next one to run is epoch + 1). */
  epoch: number;
  metrics: EpochRecord[];
  lossCurve: [number, number][];
}

/** What the checkpoint needs of an optimizer (any of wg.optim's). */
interface Stateful {
  stateDict(): wg.optim.OptimizerStateDict;
  loadStateDict(dict: wg.optim.OptimizerStateDict): void;
}

/** Disposes the tensors of an optimizer state dict (they share storage with nothing kept). */
function disposeState(dict: wg.optim.OptimizerStateDict): void {
  for (const entry of Object.values(dict.state)) for (const v of Object.values(entry)) if (v instanceof wg.Tensor) v.dispose();
}

export const checkpointPath = (out: string): string => `${out}/checkpoint.safetensors`;

/**
 * Writes the checkpoint to a temporary file and renames it over the old one, so a run stopped
 * while writing (the device lost, the process killed) leaves the previous checkpoint whole.
 */
export async function saveCheckpoint(out: string, model: wg.nn.Module, opt: Stateful, progress: Progress): Promise<void> {
  const modelState = model.stateDict();
  const optState = opt.stateDict();
  const path = checkpointPath(out);
  try {
    await mkdir(out, { recursive: true });
    await wg.save(
      {
        model: modelState,
        optimizer: optState as unknown as wg.StateTree,
        epoch: progress.epoch,
        rng: { ...wg.getRngState() },
        metrics: progress.metrics as unknown as wg.StateValue,
        lossCurve: progress.lossCurve,
      },
      `${path}.tmp`,
    );
  } finally {
    for (const t of Object.values(modelState)) t.dispose();
    disposeState(optState);
  }
  await rename(`${path}.tmp`, path);
}

/**
 * Loads the checkpoint in `out` into `model` and `opt` (on the current backend) and restores
 * the global RNG; returns the progress it holds. Throws when there is none.
 */
export async function loadCheckpoint(out: string, model: wg.nn.Module, opt: Stateful): Promise<Progress> {
  const path = checkpointPath(out);
  const ck = await wg.load<{
    model: Record<string, wg.Tensor>;
    optimizer: wg.optim.OptimizerStateDict;
    epoch: number;
    rng: wg.RngState;
    metrics: EpochRecord[];
    lossCurve: [number, number][];
  }>(path);
  try {
    model.loadStateDict(ck.model);
    opt.loadStateDict(ck.optimizer);
  } finally {
    for (const t of Object.values(ck.model)) t.dispose();
    disposeState(ck.optimizer);
  }
  wg.setRngState(ck.rng);
  return { epoch: ck.epoch, metrics: ck.metrics, lossCurve: ck.lossCurve };
}
