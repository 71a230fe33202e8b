"""`mdlfast train MODEL`: train one zoo model, print progress and the final metrics, and
optionally write them as JSON and plot the run."""
from __future__ import annotations

import json
import sys
import time


def add_parser(commands):
    train = commands.add_parser(
        "train", help="train a zoo model and report its test metrics",
        description="Trains one model of the course zoo (see `mdlfast zoo`) on its dataset's "
                    "stratified train split and reports metrics on the held-out test split.")
    train.add_argument("model", help="zoo model name (see `mdlfast zoo`)")
    train.add_argument("--dataset", default=None, help="dataset (default: the model's own)")
    train.add_argument("--epochs", type=_positive, default=None, help="override the epochs")
    train.add_argument("--quick", action="store_true",
                       help="the small config that finishes in seconds")
    train.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    train.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    train.add_argument("--json", metavar="FILE", default=None,
                       help='write {"model", "dataset", "metrics", "seconds"} to FILE')
    train.add_argument("--plot", metavar="FILE", default=None,
                       help="save the run's figure (needs matplotlib: mdlfast[plot])")
    train.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bars")
    train.set_defaults(run=run)


def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


def check_device(device):
    """Raise a clear error when `device` cannot run the zoo."""
    if device == "cpu":
        return
    try:
        from mdlfast import _cuda  # noqa: F401
        import cupy  # noqa: F401
    except ImportError as error:
        raise RuntimeError("--device cuda: the CUDA backend is not available in this mdlfast "
                           "(mdlfast._cuda was not built, or CuPy is not installed: "
                           f"{error}); use --device cpu") from error
    raise RuntimeError("--device cuda: the zoo's training runs on the CPU for now; "
                       "use --device cpu")


def format_value(value):
    """A metric for a table cell."""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)


def run(args):
    from mdlfast.models import registry

    try:
        entry = registry.get(args.model)
        check_device(args.device)
    except (ValueError, RuntimeError) as error:
        print(f"mdlfast train: error: {error}", file=sys.stderr)
        return 2
    dataset = args.dataset or entry.dataset
    print(f"training {entry.name} (unit {entry.unit}) on {dataset}"
          f"{' [quick]' if args.quick else ''}, seed {args.seed}", flush=True)
    start = time.perf_counter()
    try:
        outcome = entry.run(quick=args.quick, epochs=args.epochs, dataset=dataset,
                            seed=args.seed, progress=args.progress)
    except ValueError as error:
        print(f"mdlfast train: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    for name, value in outcome.metrics.items():
        print(f"  {name:<28} {format_value(value)}")
    print(f"  {'seconds':<28} {seconds:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": entry.name, "dataset": dataset, "metrics": outcome.metrics,
                       "seconds": seconds}, f, indent=2)
    if args.plot:
        _plot(outcome, args.plot)
    return 0


def _plot(outcome, path):
    if outcome.plot is not None:
        outcome.plot(path)
    elif outcome.history is not None:
        from mdlfast.train.plot import plot_history, save_figure

        save_figure(plot_history(outcome.history), path)
    else:
        print("mdlfast train: this model has no figure to plot", file=sys.stderr)
