"""A server that never ends a message cannot grow the client's memory without bound, nor can a
client grow the embedded server's: each feeds ten times the bound to the read path in a
process of its own (``rss_probe.py``) and checks how much that process's resident set grew.

The ceiling: at its bounds (16 MiB, 200,000 lines) a parser holds the most when the lines are
short header lines: 200,000 of 64 bytes are some 50 MB of Python objects. Twice that leaves
room for the allocator, other Python versions and the session's threads; without the bounds,
ten times the bound would need ten times that, and the probe stops as soon as it passes the
ceiling. The embedded server holds, as manager.c does, at most 128 lines of 1 KiB a request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sdk.wire.parser import DEFAULT_MAX_MESSAGE, DEFAULT_MAX_MESSAGE_LINES

PROBE = Path(__file__).with_name("rss_probe.py")
MIB = 1024 * 1024
CEILING = 96  # MiB of growth, see the module doc
SERVER_CEILING = 16
ROUNDS = 10


def probe(*args: str, ceiling: float) -> dict:
    root = str(PROBE.parent.parent)  # this checkout's sdk, whatever is installed
    done = subprocess.run(
        [sys.executable, str(PROBE), "--ceiling", str(ceiling), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    growth = report["growth"] / MIB
    assert not report["exceeded"], f"grew past {ceiling} MiB: {report}"
    assert growth < ceiling, report
    return report


@pytest.mark.parametrize("kind", ["endless-headers", "no-blank-line", "no-end-command"])
@pytest.mark.parametrize("width", [64, 1024], ids=["short lines", "long lines"])
def test_the_parser_holds_a_bounded_part_of_a_message_that_never_ends(
    kind: str, width: int
) -> None:
    report = probe("parser", kind, str(width), str(ROUNDS), ceiling=CEILING)
    assert len(report["errors"]) == ROUNDS  # each round ended in ProtocolError
    end = "--END COMMAND--" if kind == "no-end-command" else "its blank line"
    assert all(f"before {end}" in error for error in report["errors"]), report["errors"]
    if width == 64:  # the line bound comes first
        assert report["lines"] >= ROUNDS * DEFAULT_MAX_MESSAGE_LINES
        assert "more than 200000 lines" in report["errors"][0]
    else:
        assert report["fed"] >= ROUNDS * DEFAULT_MAX_MESSAGE
        assert "more than 16777216 characters" in report["errors"][0]


def test_the_session_reconnects_through_endless_messages_with_bounded_memory() -> None:
    report = probe("session", "endless-headers", str(ROUNDS), ceiling=CEILING)
    assert report["errors"] == [report["errors"][0]] * ROUNDS, report["errors"]
    assert "message of more than 200000 lines" in report["errors"][0]
    assert report["reconnects"] == ROUNDS and report["after"] == "Pong"


def test_the_embedded_server_holds_what_manager_c_holds_of_a_request_that_never_ends() -> None:
    report = probe("server", "64", ceiling=SERVER_CEILING)
    assert report["fed"] >= 3 * 60 * MIB
    assert report["errors"] == [
        "header lines: Message: Too many lines in message or allocation failure",
        "no colon: Message: Too many lines in message or allocation failure",
        "no line end: Message: Failed to parse message: line too long",
    ]
