"""A terminal is not a wire either: what the server sent reaches ``ami``'s output escaped.

A server (or anyone who can set a CallerIDName) can put ESC, OSC, CSI, C1 controls and bidi
overrides into header values; printed raw, they retitle the terminal, clear it, or reorder
what it shows. ``ami send`` (plain, table and JSON) and ``ami events`` show them escaped,
and ``--json`` still decodes to the exact value.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_until

from sdk.cli import main
from sdk.testing import AMIServer

ROOT = Path(__file__).resolve().parent.parent

# OSC (retitle, then BEL), CSI (clear the screen), a C1 CSI, DEL, a bidi override, NUL-free.
HOSTILE = "a\x1b]0;owned\x07b\x1b[2Jc\x9b31md\x7fe\u202ef\x85g\u2066h"
ESCAPED = "a\\x1b]0;owned\\x07b\\x1b[2Jc\\x9b31md\\x7fe\\u202ef\\x85g\\u2066h"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def raw_controls(text: str) -> list[str]:
    """Every character a terminal could act on, but the line ends and tabs of the layout."""
    return RAW.findall(text)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(server: AMIServer, monkeypatch: pytest.MonkeyPatch) -> AMIServer:
    monkeypatch.setenv("AMI_URL", server.url())
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    return server


def hostile_answers(server: AMIServer) -> None:
    def ping(conn: Any, request: Any) -> None:
        conn.respond(request, "Success", HOSTILE, [(f"X{HOSTILE}", HOSTILE)])

    def peers(conn: Any, request: Any) -> None:
        action_id = request.get("ActionID")
        conn.respond(request, "Success", "Peer status list will follow", list_start=True)
        conn.event("PeerEntry", [("ActionID", action_id), ("ObjectName", HOSTILE)])
        conn.event(
            "PeerlistComplete",
            [("ActionID", action_id), ("EventList", "Complete"), ("ListItems", "1")],
        )

    def command(conn: Any, request: Any) -> None:
        conn.respond(request, "Success", "Command output follows", [("Output", HOSTILE)])

    def fail(conn: Any, request: Any) -> None:
        conn.error(request, HOSTILE)

    server.handle("Ping", ping)
    server.handle("SIPpeers", peers)
    server.handle("Command", command)
    server.handle("CoreStatus", fail)


def test_send_shows_server_text_escaped_in_plain_and_table_output(env: AMIServer) -> None:
    hostile_answers(env)
    for argv, code in [
        (("send", "Ping"), 0),
        (("send", "SIPpeers"), 0),
        (("send", "Command", "--command", "core show version"), 0),
        (("send", "CoreStatus"), 1),
    ]:
        result, out, err = run(*argv)
        assert result == code, (argv, err)
        assert raw_controls(out) == [] and raw_controls(err) == [], argv
        assert ESCAPED in out + err, argv
    assert f"ami: CoreStatus failed: {ESCAPED}" in err


def test_send_json_is_exact_and_writes_no_raw_control(env: AMIServer) -> None:
    hostile_answers(env)
    for argv, path in [
        (("send", "Ping", "--json"), ("message",)),
        (("send", "Ping", "--json"), ("headers", f"X{HOSTILE}")),
        (("send", "SIPpeers", "--json"), ("events", 0, "ObjectName")),
        (("send", "Command", "--command", "x", "--json"), ("output",)),
    ]:
        _, out, _ = run(*argv)
        assert raw_controls(out) == [], argv
        value: Any = json.loads(out)
        for key in path:
            value = value[key]
        assert value == HOSTILE, argv


@pytest.mark.parametrize("as_json", [False, True])
def test_events_shows_server_text_escaped(env: AMIServer, as_json: bool) -> None:
    out = io.StringIO()
    result: list[int] = []
    argv = ["events", "--count", "1", "--filter", "Evil*", *(["--json"] if as_json else [])]
    thread = threading.Thread(target=lambda: result.append(main(argv, out=out)))
    thread.start()
    try:
        assert wait_until(lambda: any(c.authenticated for c in env.connections), 30)
        env.inject(f"Event: Evil{HOSTILE}\r\nCallerIDName: {HOSTILE}\r\n\r\n".encode())
    finally:
        thread.join(60)
    assert result == [0]
    text = out.getvalue()
    assert raw_controls(text) == []
    if as_json:
        assert json.loads(text) == {"Event": f"Evil{HOSTILE}", "CallerIDName": HOSTILE}
    else:
        assert f"CallerIDName: {ESCAPED}" in text


def test_verbose_logs_reach_the_terminal_escaped(env: AMIServer) -> None:
    """``-vv`` logs to stderr (in a process of its own: pytest holds this one's logging)."""
    env.banner += HOSTILE  # logged at DEBUG on connecting
    result = subprocess.run(
        [sys.executable, "-m", "sdk", "send", "Ping", "-vv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "connected to" in result.stderr and ESCAPED in result.stderr
    assert raw_controls(result.stderr) == []


def test_terminal_text_and_json() -> None:
    from sdk.display import terminal_json, terminal_text, text_table

    assert terminal_text(HOSTILE) == ESCAPED
    assert terminal_text("one\ntwo\tthree", keep="\n") == "one\ntwo\\x09three"
    assert terminal_text("plain é ü 日本") == "plain é ü 日本"
    for value in (HOSTILE, "\udc80 lone surrogate", "\u2028\u2029", {"k\x1b": ["\x9b"]}):
        text = terminal_json(value, indent=2)
        assert json.loads(text) == value and raw_controls(text) == []
        text.encode("utf-8")  # no lone surrogate left to fail the write
    assert terminal_json("é") == '"é"'  # non-ASCII text stays readable
    table = text_table(["name"], [[HOSTILE]], width=200)
    assert raw_controls(table) == [] and ESCAPED in table
