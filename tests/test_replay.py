"""Recorded sessions replayed line by line against the embedded server.

Each ``send`` of a fixture is written to the embedded server as recorded; what comes back is
compared, message by message and byte by byte, with what real Asterisk sent, ignoring only
the values that ``fixtures/README.md`` lists as varying from run to run.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import datetime

import pytest
from conftest import FIXTURES, load_fixture
from varying import normalize, normalize_sip

from sdk.testing import AMIServer
from sdk.wire.parser import Parser

# Every recorded Asterisk 20 session; the Asterisk 22 ones that need no PJSIP.
FIXTURES_20 = sorted(p.stem for p in (FIXTURES / "asterisk-20.20.1").glob("*.json"))
FIXTURES_22 = sorted(p.stem for p in (FIXTURES / "asterisk-22.10.1").glob("*.json"))


def _two_local_channels_up(server: AMIServer) -> None:
    one, two = server.pbx.new_local_pair("100", "default", "Wait", "1")
    one.state = two.state = 6


# What the recorded Asterisk had that a fresh embedded server has not.
SETUP = {
    "status-empty": _two_local_channels_up,  # recorded while an Originate's channels were up
}
SERVER_OPTIONS = {
    "corestatus": {"started": datetime(2026, 11, 26, 6, 19, 7)},  # the recording's start time
}
CLOSES_AFTER = {"login-bad-secret", "login-md5-bad-key", "login-plain", "logoff-before-login"}


def recorded_challenge(data: dict) -> str | None:
    for exchange in data["exchanges"]:
        match = re.search(r"Challenge: (\d+)", exchange.get("recv", ""))
        if match:
            return match.group(1)
    return None


def count_messages(text: str) -> tuple[int, bool]:
    parser = Parser(banner=False)
    messages = parser.feed(text.encode())
    return len(messages), parser.buffered == 0


def replay(name: str, version: str) -> tuple[AMIServer, str, str, bool]:
    """Replay a fixture; return the server, what was expected, what arrived, and whether the
    server closed the connection at the end."""
    data = load_fixture(name, version)
    options = SERVER_OPTIONS.get(name, {})
    server = AMIServer.as_recorded(
        version.split(".")[0], challenge=recorded_challenge(data), **options
    )
    if name in SETUP:
        SETUP[name](server)
    expected: list[str] = []
    received = b""
    closed = False
    with server, socket.create_connection((server.host, server.port), timeout=5) as sock:
        parser = Parser()
        got: list = []
        want = 0
        for exchange in data["exchanges"]:
            if "send" in exchange:
                sock.sendall(exchange["send"].encode())
            elif "recv" in exchange:
                text = exchange["recv"]
                expected.append(text)
                if parser.banner is None:
                    while parser.banner is None:
                        chunk = sock.recv(65536)
                        received += chunk
                        got.extend(parser.feed(chunk))
                    continue
                want += count_messages(text)[0]
                deadline = time.monotonic() + 5
                while len(got) < want and time.monotonic() < deadline:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                    got.extend(parser.feed(chunk))
                assert len(got) >= want, f"{name}: expected {want} messages, got {len(got)}"
        sock.settimeout(0.3 if name not in CLOSES_AFTER else 3)
        try:
            rest = sock.recv(65536)
            received += rest
            closed = rest == b""
        except TimeoutError:
            closed = False
    return server, "".join(expected), received.decode("utf-8"), closed


@pytest.mark.parametrize(
    ("version", "name"),
    [("20.20.1", n) for n in FIXTURES_20] + [("22.10.1", n) for n in FIXTURES_22],
)
def test_replay(version: str, name: str) -> None:
    server, expected, received, closed = replay(name, version)
    # message by message: the parsed headers agree (varying values aside)
    expected_msgs = Parser().feed(normalize(expected).encode())
    received_msgs = Parser().feed(normalize(received).encode())
    assert [list(m.headers) for m in received_msgs] == [list(m.headers) for m in expected_msgs]
    # and byte by byte, line ends and blank lines included
    assert normalize(received) == normalize(expected)
    assert closed == (name in CLOSES_AFTER)
    # the SIP NOTIFYs the server would send are the ones Asterisk sent
    data = load_fixture(name, version)
    sips = [e["sip_sent_by_asterisk"] for e in data["exchanges"] if "sip_sent_by_asterisk" in e]
    sip = sum(sips, []) if sips else None
    if sip is not None:
        assert [normalize_sip(n.text) for n in server.notifies] == [normalize_sip(s) for s in sip]
    else:
        assert server.notifies == []


def test_replay_covers_every_send_of_each_fixture() -> None:
    """The embedded server logs every message it read, in order."""
    server, _, _, _ = replay("pipelined", "20.20.1")
    assert [m.action for m in server.received] == ["Login", "Ping", "SIPnotify", "Ping"]
    assert server.received[2].get("ActionID") == "b"
