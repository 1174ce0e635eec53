// Garbage from earlier tests (tensors dropped without dispose()) is freed by webgrad's
// FinalizationRegistry whenever V8 collects it and the event loop gives the finalizers a task:
// a GPU readback does, so it can happen in the middle of a test and lower
// `memory().liveTensors` by whatever an earlier test left behind. A test that compares the
// count before and after its own work takes the "before" after this. One collection and two
// tasks were not always enough: CI once saw 40 of an earlier test's tensors finalized after
// them (still reachable from that test's settled async contexts at the first collection), so
// this collects until the count has stayed put for three rounds.
import v8 from 'node:v8';
import vm from 'node:vm';
import * as wg from 'webgrad-gpu';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const task = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects garbage and lets the finalizers run until the live-tensor count stops moving. */
export async function settleGarbage(): Promise<void> {
  let last = -1;
  let still = 0;
  for (let round = 0; round < 50 && still < 3; round++) {
    gc();
    await task(round < 3 ? 0 : 5);
    await task();
    const now = wg.memory().liveTensors;
    still = now === last ? still + 1 : 0;
    last = now;
  }
}
