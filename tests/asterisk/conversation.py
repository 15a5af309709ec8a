"""One scripted AMI connection, with raw bytes: what the fidelity test runs against both
servers alike.

A ``Step`` is the bytes a client writes at once (one request or several) and, optionally,
the events to wait for after their answers. After each step the reader waits until every
request written so far has its response (responses come in order; every blank line that
ends a request gets one) and every list begun is complete, plus the events named, or the
server closes, or ``timeout`` passes; after the last step it reads on until ``settle``
seconds pass without a byte. What came back is cut into messages exactly as sent (line
ends kept; a stray blank line is a message of its own), so two servers' answers compare
message by message, byte for byte.

``{key}`` in a step's bytes is replaced by the MD5 key of the last challenge the server
gave and the scenario's secret: a recorded MD5 login replays against a live server.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field

END = "Action: Ping\r\nActionID: END\r\n\r\n"
_CHALLENGE = re.compile(r"^Challenge: (\S+)\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    send: str
    events: tuple[str, ...] = ()  # event names (each as many times as listed) to wait for
    pause: float = 0.0  # seconds to wait before sending (a call settling into its dialplan)


@dataclass
class Transcript:
    banner: str = ""
    messages: list[str] = field(default_factory=list)
    closed: bool = False
    timed_out: list[int] = field(default_factory=list)  # steps whose answer did not complete


def requests_in(text: str) -> int:
    """How many requests a server reads from ``text``: one per blank line (manager.c)."""
    return sum(1 for line in text.split("\n")[:-1] if line.rstrip("\r") == "")


def _split(buffer: bytes) -> tuple[list[str], bytes]:
    """Complete messages in ``buffer`` (each with its lines' own ends), and the rest."""
    messages: list[str] = []
    start = pos = 0
    while True:
        end = buffer.find(b"\n", pos)
        if end < 0:
            return messages, buffer[start:]
        line = buffer[pos:end]
        pos = end + 1
        if line in (b"", b"\r"):
            messages.append(buffer[start:pos].decode("utf-8", "surrogateescape"))
            start = pos


def _header(message: str, name: str) -> str | None:
    match = re.search(rf"^{name}: ?(.*?)\r?$", message, re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


class _State:
    """What has come so far, for the wait after each step."""

    def __init__(self) -> None:
        self.responses = 0
        self.open_lists: set[str] = set()
        self.events: Counter[str] = Counter()
        self.challenge = ""

    def answered(self, expected: int, wanted: Counter[str]) -> bool:
        """Has every request so far its response, every list its end, every wanted event
        come?"""
        return (
            self.responses >= expected
            and not self.open_lists
            and all(self.events[n] >= c for n, c in wanted.items())
        )

    def see(self, message: str) -> None:
        if message.startswith("Response:"):
            self.responses += 1
            if (_header(message, "EventList") or "").lower() == "start":
                self.open_lists.add(_header(message, "ActionID") or "")
            found = _CHALLENGE.search(message)
            if found:
                self.challenge = found.group(1)
        elif message.startswith("Event:"):
            name = _header(message, "Event") or ""
            self.events[name] += 1
            if (_header(message, "EventList") or "").lower() == "complete":
                self.open_lists.discard(_header(message, "ActionID") or "")


def converse(
    host: str,
    port: int,
    steps: list[Step],
    *,
    secret: str = "",
    tls: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> Transcript:
    out = Transcript()
    state = _State()
    sock = socket.create_connection((host, port), timeout=timeout)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="localhost")
    buffer = b""

    def read(deadline: float) -> bool:
        """One read into the transcript; False at EOF or when ``deadline`` passes."""
        nonlocal buffer
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return False
        except OSError:  # reset: the server closed (ssl.SSLError is an OSError too)
            data = b""
        if not data:
            out.closed = True
            return False
        buffer += data
        if not out.banner:
            if b"\n" not in buffer:
                return True
            line, _, buffer = buffer.partition(b"\n")
            out.banner = line.decode() + "\n"
        messages, buffer = _split(buffer)
        for message in messages:
            state.see(message)
        out.messages.extend(messages)
        return True

    with sock:
        deadline = time.monotonic() + timeout
        while not out.banner and read(deadline):
            pass
        expected = 0
        wanted: Counter[str] = Counter()
        for index, step in enumerate([*steps, Step(END)]):
            if out.closed:
                break
            text = step.send
            time.sleep(step.pause)
            if "{key}" in text:
                key = hashlib.md5((state.challenge + secret).encode()).hexdigest()
                text = text.replace("{key}", key)
            try:
                sock.sendall(text.encode("utf-8", "surrogateescape"))
            except OSError:
                out.closed = True
                break
            expected += requests_in(text)
            wanted.update(step.events)
            deadline = time.monotonic() + timeout

            while not state.answered(expected, wanted):
                if not read(deadline):
                    break
            if not state.answered(expected, wanted) and not out.closed:
                out.timed_out.append(index)
    return out
