"""GUI subcommands: ``sm-studio open [FILE…]`` (also what plain ``sm-studio`` runs) and ``sm-studio demo``.

Qt is imported inside ``run`` so that headless verbs never load it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("open", help="start the app, optionally opening videos, motions (.npz) or sessions")
    p.add_argument("files", nargs="*", type=Path, help="files to open (a video and a motion can go together)")
    p.set_defaults(func=run_open)
    d = subparsers.add_parser("demo", help="start the app on the embedded demo (video + reconstruction + segments)")
    d.set_defaults(func=run_demo)
    for parser in (p, d):
        parser.add_argument("--exec-script", type=Path, default=None, metavar="FILE",
                            help="automation/debugging: run this Python file inside the app once it has started, "
                                 "with `window` and `app` defined (edits go through the normal undoable actions)")


def _start(files: list[Path], demo: bool, script: "Path | None") -> int:
    from sm_studio.app import run_app

    if script is not None and not script.is_file():
        print(f"sm-studio: error: script not found: {script}", file=sys.stderr)
        return 1
    return run_app(files, demo=demo, argv=sys.argv[:1], script=script)


def run_open(args: argparse.Namespace) -> int:
    missing = [f for f in args.files if not f.exists()]
    if missing:
        print(f"sm-studio: error: file not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    return _start(list(args.files), demo=False, script=args.exec_script)


def run_demo(args: argparse.Namespace) -> int:
    return _start([], demo=True, script=args.exec_script)
