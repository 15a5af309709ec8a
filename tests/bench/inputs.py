"""The inputs every library gets, the same bytes and values for each.

- ``notify_inputs``: SIPnotify parameters, a channel and 3 variables, one of them needing
  escaping (the parentheses of a message-summary body). They differ from one action to the
  next, as in a bulk NOTIFY, so that no cache of earlier values can stand in for the work.
- ``peer_entries``: the bytes a server sends for ``count`` PeerEntry events of 15 lines, CRLF,
  after the banner; their headers are chan_sip's (tests/fixtures, sippeers-eventlist).
- ``FeedSocket``: a fake socket that hands out those bytes as the network would, in segments
  of 64 KiB; a ``recv(n)`` returns at most ``n`` bytes, never more than what is left of the
  current segment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
SEGMENT = 64 * 1024
EVENT_LINES = 15


def notify_inputs(count: int) -> list[tuple[str, dict[str, str]]]:
    """``count`` distinct (channel, variables) for SIPnotify: 3 variables each."""
    return [
        (
            f"phone{n}",
            {
                "Event": "message-summary",
                "Content-Type": "application/simple-message-summary",
                "Content": f"Voice-Message: {n % 97}/{n % 89} ({n % 7}/{n % 5})",
            },
        )
        for n in range(count)
    ]


def peer_entry(n: int) -> bytes:
    """One PeerEntry event of 15 lines (the blank line after it not counted)."""
    return (
        "Event: PeerEntry\r\n"
        "Channeltype: SIP\r\n"
        f"ObjectName: phone{n}\r\n"
        "ChanObjectType: peer\r\n"
        f"IPaddress: 10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}\r\n"
        f"IPport: {5060 + n % 100}\r\n"
        "Dynamic: yes\r\n"
        "AutoForcerport: yes\r\n"
        "Forcerport: no\r\n"
        "AutoComedia: no\r\n"
        "Comedia: no\r\n"
        "VideoSupport: no\r\n"
        "TextSupport: no\r\n"
        "ACL: no\r\n"
        f"Status: OK ({1 + n % 40} ms)\r\n"
        "\r\n"
    ).encode()


def peer_entries(count: int, *, banner: bool = True) -> bytes:
    """The stream: the banner, then ``count`` PeerEntry events."""
    return (BANNER if banner else b"") + b"".join(peer_entry(n) for n in range(count))


def segments(data: bytes, size: int = SEGMENT) -> list[bytes]:
    """``data`` cut into reads of ``size`` bytes (the last one shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


class FeedSocket:
    """Just enough of a socket for a library that reads from one (``recv``, ``recv_into``).

    Serves ``chunks`` (each one network read's worth), then b"" (the peer closed). With
    ``gate``, the first read waits until the gate is set, so a reader thread can be started
    before the clock is.
    """

    def __init__(self, chunks: list[bytes], gate: threading.Event | None = None) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._current = memoryview(b"")
        self._gate = gate
        self.reads = 0  # segments handed out
        self.sent: list[bytes] = []

    def _segment(self) -> memoryview:
        if not self._current:
            if self._gate is not None:
                self._gate.wait()
                self._gate = None
            chunk = next(self._chunks, b"")
            if chunk:
                self.reads += 1
            self._current = memoryview(chunk)
        return self._current

    def recv(self, size: int) -> bytes:
        current = self._segment()
        out = current[:size]
        self._current = current[len(out) :]
        return bytes(out)

    def recv_into(self, buffer: memoryview | bytearray, size: int = 0) -> int:
        current = self._segment()
        size = min(size or len(buffer), len(current))
        buffer[:size] = current[:size]
        self._current = current[size:]
        return size

    def send(self, data: bytes) -> int:
        self.sent.append(bytes(data))
        return len(data)

    sendall = send

    def settimeout(self, timeout: float | None) -> None:
        pass

    def close(self) -> None:
        pass

    # socket.SocketIO (what makefile() returns) also asks for these
    _io_refs = 0
    _closed = False

    def _decref_socketios(self) -> None:
        pass
