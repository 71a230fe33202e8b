"""`mdlfast zoo`: every model of the course zoo with its unit, default dataset and summary."""
from __future__ import annotations


def add_parser(commands):
    zoo = commands.add_parser("zoo", help="list the course models (train one with `mdlfast train`)",
                              description="Lists every model of the course zoo with its unit.")
    zoo.add_argument("--unit", type=int, default=None, help="only the models of this unit")
    zoo.set_defaults(run=run)


def run(args):
    from mdlfast.models import registry

    rows = [e for e in registry.entries() if args.unit is None or e.unit == args.unit]
    width = max([len(e.name) for e in rows] + [5])
    print(f"{'unit':>4}  {'model':<{width}}  {'dataset':<13}  summary")
    for entry in rows:
        print(f"{entry.unit:>4}  {entry.name:<{width}}  {entry.dataset:<13}  {entry.summary}")
    return 0
