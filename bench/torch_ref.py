"""PyTorch on the same card, for rows 1, 4 and 5 of `npm run bench`: the anchor a GPU user
compares webgrad against. Run by bench/gpu-run.sh on a lent GPU machine (it has torch, not Node).

    python3 bench/torch_ref.py [--out FILE] [--reps N] [--device cuda|cpu]

Same workloads as bench/rows/: float32 square matmul (TF32 off, as WebGPU has no TF32),
the 784-128-10 MLP training step at batch 128 (cross-entropy, SGD lr 0.05) timed to
completion, and the tutorial step 233x10 -> 7 -> 10 with `loss.item()` every step.
Medians over repetitions after warm-up; each repetition ends with torch.cuda.synchronize().
"""

import argparse
import json
import platform
import statistics
import time

import torch


def timed(fn, sync, reps, warmup, inner=1):
    for _ in range(warmup):
        fn()
    sync()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append((time.perf_counter() - t0) * 1000 / inner)
    return statistics.median(samples), samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    dev = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    results = []

    def report(row, name, size, ms, unit=None, rate=None, **extra):
        r = {"row": row, "name": name, "size": size, "medianMs": ms, **extra}
        if unit:
            r["unit"], r["rate"] = unit, rate
        results.append(r)
        rate_s = f"  {rate:10.1f} {unit}" if unit else ""
        print(f"{row}  {name:24s} {size:18s} {ms:10.4f} ms{rate_s}", flush=True)

    # Row 1: square matmul, GFLOP/s.
    for n in (128, 256, 512, 1024, 2048, 4096):
        a = torch.rand(n, n, device=dev) * 2 - 1
        b = torch.rand(n, n, device=dev) * 2 - 1
        flops = 2 * n**3
        inner = max(1, 2**30 // flops) if dev.type == "cuda" else 1

        def mm():
            for _ in range(inner):
                a @ b

        ms, _ = timed(mm, sync, args.reps, 3, inner)
        report("1", "matmul", f"{n}x{n}x{n}", ms, "GFLOP/s", flops / (ms / 1000) / 1e9, inner=inner)

    # Row 4: MLP training step, batch 128.
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.rand(128, 784, device=dev)
    y = torch.randint(0, 10, (128,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    ms, _ = timed(step, sync, args.reps * 2, 5)
    report("4", "MLP train step", "b128 784-128-10", ms)

    # Row 6 analogue: an epoch of 469 such steps, one loss read at the end.
    def epoch():
        loss = None
        for _ in range(469):
            loss = step()
        loss.item()

    ms, _ = timed(epoch, sync, 3, 1)
    report("6", "MLP epoch", "60000 (469 batches)", ms, note="batches already on the device (no host upload)")

    # Row 5: the tutorial step with loss.item() each step.
    data = torch.rand(233, 10, device=dev) * 2 - 1
    label = torch.rand(233, 10, device=dev) * 2 - 1
    w1 = (torch.rand(10, 7, device=dev) * 2 - 1).requires_grad_()
    w2 = (torch.rand(7, 10, device=dev) * 2 - 1).requires_grad_()
    steps = 20

    def tutorial():
        for _ in range(steps):
            loss = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum()
            loss.item()
            loss.backward()
            with torch.no_grad():
                w1.sub_(w1.grad * 1e-4)
                w2.sub_(w2.grad * 1e-4)
                w1.grad.zero_()
                w2.grad.zero_()

    ms, _ = timed(tutorial, sync, args.reps, 2, steps)
    report("5", "tutorial step + item()", "233x10-7-10", ms)

    env = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else platform.processor(),
        "python": platform.python_version(),
        "tf32": False,
    }
    print(json.dumps(env))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({**env, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
