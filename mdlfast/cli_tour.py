"""`mdlfast tour`: a quick run of every zoo model of units 1-6 (by default) on the CPU, then one
table of the results."""
from __future__ import annotations

import time


def add_parser(commands):
    tour = commands.add_parser(
        "tour", help="run a quick version of every course unit and print a table",
        description="Trains every zoo model with its quick config (a few minutes in all on a "
                    "laptop CPU) and prints one table of headline metrics.")
    tour.add_argument("--units", type=int, nargs="+", default=None,
                      help="only these units (default: all registered)")
    tour.add_argument("--seed", type=int, default=0)
    tour.add_argument("--json", metavar="FILE", default=None,
                      help="write every model's metrics as JSON to FILE")
    tour.set_defaults(run=run)


def run(args):
    import json

    from mdlfast.cli_train import format_value
    from mdlfast.models import registry

    rows, failures = [], 0
    chosen = [e for e in registry.entries() if args.units is None or e.unit in args.units]
    for entry in chosen:
        print(f"[unit {entry.unit}] {entry.name} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            metrics = entry.run(quick=True, seed=args.seed, progress=False).metrics
            status = "ok"
        except Exception as error:  # the tour reports a failing model and goes on
            metrics, status = {}, f"failed: {type(error).__name__}: {error}"
            failures += 1
        seconds = time.perf_counter() - start
        print(f"{seconds:.1f}s {status}", flush=True)
        rows.append((entry, metrics, seconds, status))
    name_w = max([len(e.name) for e, *_ in rows] + [5])
    head_w = max([len(e.headline) for e, *_ in rows] + [8])
    print()
    print(f"{'unit':>4}  {'model':<{name_w}}  {'metric':<{head_w}}  {'value':>10}  {'seconds':>7}")
    for entry, metrics, seconds, status in rows:
        value = format_value(metrics[entry.headline]) if entry.headline in metrics else status
        print(f"{entry.unit:>4}  {entry.name:<{name_w}}  {entry.headline:<{head_w}}  "
              f"{value:>10}  {seconds:>7.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({e.name: {"unit": e.unit, "dataset": e.dataset, "metrics": m,
                                "seconds": s, "status": st} for e, m, s, st in rows}, f, indent=2)
    return 1 if failures else 0
