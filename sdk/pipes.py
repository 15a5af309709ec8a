"""Commands whose reader goes away: ``ami list | head -1``, ``python -m sdk.demo | head``.

Python ignores SIGPIPE, so a write to a closed pipe raises ``BrokenPipeError``; left alone,
it ends the command with a traceback, and the interpreter's last flush at exit fails again
("Exception ignored ... BrokenPipeError", status 120). Instead the command ends quietly with
141 (128 + SIGPIPE), the status a shell reports for any other tool a closed pipe stopped, so
``set -o pipefail`` scripts treat ``ami`` as they treat ``grep`` or ``seq``. Restoring
SIGPIPE's default would give the same status but kill the interpreter at the next write,
before the session logs off; this lets every ``with`` block end first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO

__all__ = ["EXIT_PIPE", "reader_gone", "run"]

EXIT_PIPE = 141  # 128 + SIGPIPE


def reader_gone() -> int:
    """What to do once the reader of standard output went away: point standard output (and
    standard error, when it went to the same reader: ``2>&1 | head``) at ``os.devnull``, so
    that nothing is left to fail at exit, as the Python documentation's note on SIGPIPE
    advises; return ``EXIT_PIPE``."""
    _to_devnull(sys.stdout)
    try:
        sys.stderr.flush()
    except BrokenPipeError:
        _to_devnull(sys.stderr)
    return EXIT_PIPE


def run(main: Callable[[], int]) -> NoReturn:
    """``sys.exit(main())`` for a console command, ending quietly when its reader is gone:
    during ``main`` or in the flush of what it left buffered."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        code = reader_gone()
    sys.exit(code)


def _to_devnull(stream: TextIO) -> None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (a test's StringIO), or closed
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
