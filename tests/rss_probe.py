"""Feeds a message that never ends to the read path, in a process of its own, and reports on
stdout (JSON) how much this process's memory grew: ``tests/test_memory_bounds.py`` runs it.

    python tests/rss_probe.py parser KIND WIDTH ROUNDS   # sdk.wire.parser.Parser, default bounds
    python tests/rss_probe.py session KIND ROUNDS        # sdk.Session and the embedded server
    python tests/rss_probe.py server MEBIBYTES           # the embedded server's request reader

KIND is an endless fault of ``sdk.testing.faults`` (its bytes, lines of WIDTH bytes). Each
round starts afresh (a new parser, a reconnected session) and lasts until the message is
refused. A watchdog thread samples the resident set; past ``--ceiling`` MiB of growth the
probe stops at once and says so, so that a read path without bounds fails fast instead of
filling the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sys
import threading
import time

PING_ANSWER = b"Response: Success\r\nActionID: probe-1\r\nPing: Pong\r\n\r\n"
MIB = 1024 * 1024


def status(field: str) -> int | None:
    """A size from /proc/self/status (Linux), in bytes; None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as lines:
            for line in lines:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak() -> int:
    """The largest resident set of this process (VmHWM: since its exec, where ru_maxrss may
    hold the parent's from before the fork), in bytes."""
    hwm = status("VmHWM")
    if hwm is not None:
        return hwm
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def rss() -> int:
    """This process's resident set now, in bytes (its peak where /proc is missing)."""
    now = status("VmRSS")
    return now if now is not None else peak()


class Watchdog(threading.Thread):
    """Samples the resident set every few milliseconds; past the ceiling, reports and ends
    the process (the read path under test may be stuck growing on another thread)."""

    def __init__(self, ceiling: int, report: dict) -> None:
        super().__init__(daemon=True)
        self.base = rss()
        self.ceiling = ceiling
        self.report = report
        self.highest = self.base

    def growth(self) -> int:
        """The largest growth seen, or the process's peak if a sample missed it."""
        return max(self.highest, rss(), peak()) - self.base

    def run(self) -> None:
        while True:
            self.highest = max(self.highest, rss())
            if self.highest - self.base > self.ceiling:
                self.report.update(exceeded=True, growth=self.highest - self.base)
                print(json.dumps(self.report), flush=True)
                os._exit(0)
            time.sleep(0.005)


def probe_parser(kind: str, width: int, rounds: int, report: dict) -> None:
    from sdk.errors import ProtocolError
    from sdk.testing.faults import endless
    from sdk.wire.parser import DEFAULT_MAX_MESSAGE, DEFAULT_MAX_MESSAGE_LINES, Parser

    head, block = endless(kind, PING_ANSWER, width)
    lines = block.count(b"\n")
    # A round that reaches ten times the bounds unrefused is the last: a parser without
    # bounds either grew past the ceiling by then, or reads the stream as something else.
    most = min(10 * DEFAULT_MAX_MESSAGE // len(block), 10 * DEFAULT_MAX_MESSAGE_LINES // lines)
    for _ in range(rounds):
        parser = Parser(banner=False)
        try:
            parser.feed(head)
            for _ in range(most):
                report["fed"] += len(block)
                report["lines"] += lines
                parser.feed(block)
            return
        except ProtocolError as exc:
            report["errors"].append(str(exc))
        finally:
            del parser


def probe_session(kind: str, rounds: int, report: dict) -> None:
    from sdk import OutcomeUnknown, ProtocolError, Reconnect, Session
    from sdk.actions import Ping
    from sdk.testing import AMIServer

    with AMIServer() as pbx:
        pbx.add_user("admin", "s3cret")
        fast = Reconnect(initial=0.01, maximum=0.05)
        with Session(
            pbx.host, pbx.port, username="admin", secret="s3cret", timeout=60, reconnect=fast
        ) as ami:
            pbx.fault(kind, "Ping", times=rounds)
            for _ in range(rounds):
                try:
                    ami.send(Ping())
                except OutcomeUnknown as exc:
                    cause = exc.__cause__
                    kept = str(cause) if isinstance(cause, ProtocolError) else repr(exc)
                    report["errors"].append(kept)
            report["after"] = ami.send(Ping()).get("Ping")
            report["reconnects"] = ami.reconnects


def probe_server(mebibytes: int, report: dict) -> None:
    """Requests that never end, as manager.c reads them: header lines, lines without a
    colon, one line without a line end; each then ended (its line, then itself)."""
    from sdk.testing import AMIServer

    shapes = {  # a line to repeat, and what ends the request after it
        "header lines": (b"X-Filler: " + b"h" * 1000 + b"\r\n", b"\r\n"),
        "no colon": (b"no colon " + b"n" * 1000 + b"\r\n", b"\r\n"),
        "no line end": (b"x" * 1024, b"\r\n\r\n"),
    }
    with AMIServer() as pbx, socket.create_connection((pbx.host, pbx.port), timeout=60) as sock:
        reader = sock.makefile("rb")
        reader.readline()  # the banner
        for name, (line, ending) in shapes.items():
            block = line * (64 * 1024 // len(line))
            sock.sendall(b"Action: Ping\r\n")
            for _ in range(mebibytes * MIB // len(block)):
                sock.sendall(block)
                report["fed"] += len(block)
            sock.sendall(ending)
            answer = [reader.readline() for _ in range(3)]  # Response, Message, blank line
            report["errors"].append(f"{name}: {answer[1].decode().strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ceiling", type=float, required=True, help="MiB of growth allowed")
    parser.add_argument("mode", choices=["parser", "session", "server"])
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    report: dict = {"fed": 0, "lines": 0, "errors": [], "exceeded": False}
    import sdk.actions
    import sdk.testing  # noqa: F401 - imported before the baseline, which they would raise

    watchdog = Watchdog(int(options.ceiling * MIB), report)
    watchdog.start()
    started = time.monotonic()
    if options.mode == "parser":
        kind, width, rounds = options.args
        probe_parser(kind, int(width), int(rounds), report)
    elif options.mode == "session":
        kind, rounds = options.args
        probe_session(kind, int(rounds), report)
    else:
        (mebibytes,) = options.args
        probe_server(int(mebibytes), report)
    report.update(growth=watchdog.growth(), seconds=time.monotonic() - started)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
