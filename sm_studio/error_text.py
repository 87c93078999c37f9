"""One sentence for any exception that reaches the command line, so no user ever reads a traceback.

Our own input errors (:class:`~inference.motion.MotionError`) already are one sentence naming the file and the
problem; operating-system errors are given their file name and reason (a full disk, a missing folder); anything
else is an internal error, shown as one line with a pointer to ``-v``, which prints the trace.
"""

from __future__ import annotations

import os

from inference.motion import MotionError


def error_sentence(exc: BaseException) -> str:
    if isinstance(exc, MotionError):
        return str(exc)
    if isinstance(exc, OSError):
        reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc)) or type(exc).__name__
        return f"{exc.filename}: {reason}" if exc.filename else reason
    if isinstance(exc, MemoryError):
        return "ran out of memory (the input is larger than this machine can hold)"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to process"
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"internal error {type(exc).__name__}{': ' + first if first else ''} (run with -v for the details)"
