"""The ``sm-studio`` command line.

Each subcommand lives in its own module under ``sm_studio/commands/`` and exposes ``register(subparsers)``;
they are discovered here, so adding a verb never touches this file. Headless verbs import only ``inference/``;
GUI verbs import Qt inside their ``run`` so that ``sm-studio info`` works on a machine without a display.
With no subcommand, ``sm-studio`` starts the app (``sm-studio FILE`` opens FILE).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback
from typing import Optional, Sequence

from . import commands
from .error_text import error_sentence

GUI_DEFAULT = "open"


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what the engine does, and print the full trace of an error")
    parser.add_argument("--body-model-dir", default=None,
                        help="directory with the licensed SMPL-X model files (else $SMPLX_MODEL_DIR, else the free body)")


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    parser = argparse.ArgumentParser(prog="sm-studio", description="Review and correct two-person 3D reconstructions.")
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser, set(sub.choices)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, verbs = build_parser()
    pre = argparse.ArgumentParser(add_help=False)
    _add_global_options(pre)
    global_opts, rest = pre.parse_known_args(argv)
    if GUI_DEFAULT in verbs and (not rest or (rest[0] not in verbs and not rest[0].startswith("-"))):
        rest = [GUI_DEFAULT] + rest  # `sm-studio` and `sm-studio VIDEO` start the app
    args = parser.parse_args(rest)
    args.verbose, args.body_model_dir = global_opts.verbose, global_opts.body_model_dir
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.body_model_dir:
        import os

        os.environ["SMPLX_MODEL_DIR"] = args.body_model_dir
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("sm-studio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — no traceback reaches a user; -v shows it
        if args.verbose:
            traceback.print_exc()
        print(f"sm-studio: error: {error_sentence(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
