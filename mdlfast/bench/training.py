"""Training steps per second (forward, loss, backward, Adam step) of the MLP 784-256-10 and
LeNet-5 on MNIST-shaped batches, mdlfast against PyTorch, each side in its own process.

    python -m mdlfast.bench.training [--model mlp lenet] [--batch 64] [--threads 2] [--rounds 3]
                                     [--seconds 2] [--no-optimizer] [--json FILE]

The sides alternate (mdlfast, torch, mdlfast, ...) for --rounds rounds; each reports its best
steps/s over a few timed windows; a row shows the best round of each side and their ratio.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

MODELS = ("mlp", "lenet")


def _mdlfast_step(model_name, batch, use_optimizer):
    import mdlfast

    mdlfast.manual_seed(0)
    return _training_step(mdlfast.nn, mdlfast.optim, mdlfast.tensor, lambda labels: labels,
                          model_name, batch, use_optimizer)


def _torch_step(model_name, batch, use_optimizer):
    import torch

    torch.manual_seed(0)
    return _training_step(torch.nn, torch.optim, torch.tensor, torch.tensor,
                          model_name, batch, use_optimizer)


def _training_step(nn, optim, to_input, to_labels, model_name, batch, use_optimizer):
    """One side's step; mdlfast and torch share the nn and optim names, so one builder serves
    both (to_input/to_labels turn the NumPy batch into what each side's model takes)."""
    if model_name == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        shape = (batch, 784)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        shape = (batch, 1, 28, 28)
    rng = np.random.default_rng(0)
    x = to_input(rng.standard_normal(shape).astype(np.float32))
    y = to_labels(rng.integers(0, 10, batch))
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    optimizer = optim.Adam(params, lr=1e-3) if use_optimizer else None

    def step():
        if optimizer is not None:
            optimizer.zero_grad()
        else:
            for p in params:
                p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
        if optimizer is not None:
            optimizer.step()

    return step


def measure(step, seconds, windows=5):
    """Best steps/s over `windows` timed windows of about seconds/windows each, after warm-up."""
    for _ in range(20):
        step()
    window = seconds / windows
    best = 0.0
    for _ in range(windows):
        count, start = 0, time.perf_counter()
        while True:
            step()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= window:
                break
        best = max(best, count / elapsed)
    return best


def _child(args):
    """Runs one side in this process and prints {"steps_per_s": ...} as JSON."""
    if args.side == "torch":
        import torch

        torch.set_num_threads(args.threads)
        step = _torch_step(args.model[0], args.batch, not args.no_optimizer)
    else:
        import mdlfast

        mdlfast.set_num_threads(args.threads)
        step = _mdlfast_step(args.model[0], args.batch, not args.no_optimizer)
    print(json.dumps({"steps_per_s": measure(step, args.seconds)}))


def _parser():
    p = argparse.ArgumentParser(prog="python -m mdlfast.bench.training", description=__doc__.splitlines()[0])
    p.add_argument("--model", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=2.0, help="timed seconds per side and round")
    p.add_argument("--no-optimizer", action="store_true", help="time forward + loss + backward only")
    p.add_argument("--json", metavar="FILE", help="also write the rows to FILE")
    p.add_argument("--side", choices=("mdlfast", "torch"), help=argparse.SUPPRESS)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.side:
        _child(args)
        return 0
    from mdlfast.bench.process import ChildFailed, run_child

    rows = []
    what = "forward+loss+backward" if args.no_optimizer else "forward+loss+backward+Adam step"
    print(f"training steps/s ({what}), batch {args.batch}, {args.threads} threads, "
          f"best of {args.rounds} alternating rounds")
    print(f"{'model':8} {'mdlfast':>10} {'torch':>10} {'ratio':>7}")
    for model in args.model:
        best = {"mdlfast": 0.0, "torch": None}
        for _ in range(args.rounds):
            for side in ("mdlfast", "torch"):
                child_args = ["--side", side, "--model", model, "--batch", args.batch, "--threads",
                              args.threads, "--seconds", args.seconds]
                if args.no_optimizer:
                    child_args.append("--no-optimizer")
                try:
                    rate = run_child("mdlfast.bench.training", child_args, args.threads)["steps_per_s"]
                except ChildFailed as error:
                    if side == "torch":
                        continue  # torch not installed: mdlfast alone
                    raise
                best[side] = max(best[side] or 0.0, rate)
        ratio = best["mdlfast"] / best["torch"] if best["torch"] else None
        rows.append({"model": model, "batch": args.batch, "threads": args.threads,
                     "optimizer": not args.no_optimizer, "mdlfast_steps_per_s": best["mdlfast"],
                     "torch_steps_per_s": best["torch"], "ratio": ratio})
        torch_text = f"{best['torch']:10.1f}" if best["torch"] else f"{'-':>10}"
        ratio_text = f"{ratio:6.2f}x" if ratio else f"{'-':>7}"
        print(f"{model:8} {best['mdlfast']:10.1f} {torch_text} {ratio_text}", flush=True)
    if args.json:
        import mdlfast

        record = {"config": mdlfast.config(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "rows": rows}
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
