"""The `mdlfast` console command: `mdlfast info`, `mdlfast bench`, ..."""
from __future__ import annotations

import argparse
import sys

from mdlfast import cli_tour, cli_train, cli_zoo
from mdlfast.bench import command as bench_command


def _info(args):
    import mdlfast

    if args.json:
        import json

        print(json.dumps(mdlfast.config(), indent=2))
    else:
        mdlfast.show_config()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="mdlfast", description="mdlfast: fast deep-learning kernels for the MEDL course")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    info = commands.add_parser("info", help="version, ISA path, threads, CUDA build and GPUs")
    info.add_argument("--json", action="store_true", help="print the configuration as JSON")
    info.set_defaults(run=_info)

    bench_command.add_parser(commands)
    cli_zoo.add_parser(commands)
    cli_train.add_parser(commands)
    cli_tour.add_parser(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
