"""The transport on its own: what it reports of its writes."""

from __future__ import annotations

import socket
import threading

from conftest import wait_until

from sdk.transport import Transport


def test_backlog_counts_the_bytes_not_yet_written() -> None:
    ours, peer = socket.socketpair()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    closed = threading.Event()
    transport = Transport(
        ours,
        name="test-transport",
        on_data=lambda data: None,
        on_closed=lambda *args: closed.set(),
    )
    transport.start()
    try:
        assert transport.backlog == 0
        chunk = b"x" * (1 << 20)
        for _ in range(4):  # more than the socket buffers hold: the peer does not read yet
            assert transport.write(chunk)
        assert wait_until(lambda: 0 < transport.backlog < 4 << 20, 5)
        received = 0
        peer.settimeout(5)
        while received < 4 << 20:
            received += len(peer.recv(1 << 20))
        assert received == 4 << 20
        assert wait_until(lambda: transport.backlog == 0, 5)  # counted down once sent
    finally:
        transport.close()
        transport.join(5)
        peer.close()
    assert closed.is_set()
    assert transport.backlog == 0
