// Garbage from earlier tests (tensors dropped without dispose()) is freed by webgrad's
// FinalizationRegistry whenever V8 collects it and the event loop gives the finalizers a task:
// a GPU readback does, so it can happen in the middle of a test and lower
// `memory().liveTensors` by whatever an earlier test left behind. A test that compares the
// count before and after its own work takes the "before" after this: a full collection and
// two tasks, so the earlier garbage is gone first (it made such tests fail at random).
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const task = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Collects garbage and lets the finalizers run. */
export async function settleGarbage(): Promise<void> {
  gc();
  await task();
  await task();
}
