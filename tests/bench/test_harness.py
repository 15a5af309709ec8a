"""The benchmark's own parts, checked by ``make test`` (no timing here, no other library):
the inputs are what they say, the fake socket hands out the bytes as the network would, and
the SDK's receive path counts every event."""

from __future__ import annotations

import socket

from inputs import (
    BANNER,
    EVENT_LINES,
    SEGMENT,
    FeedSocket,
    notify_inputs,
    peer_entries,
    peer_entry,
    segments,
)
from libraries import SdkReceiver, sdk_serializer


def test_a_peer_entry_is_15_crlf_lines_and_a_blank_one() -> None:
    event = peer_entry(70_000)
    lines = event.split(b"\r\n")
    assert lines[-2:] == [b"", b""] and len(lines) - 2 == EVENT_LINES
    assert all(b": " in line for line in lines[:-2])
    assert b"\n" not in event.replace(b"\r\n", b"")
    assert lines[2] == b"ObjectName: phone70000"


def test_the_stream_is_the_banner_then_the_events_in_64_kib_reads() -> None:
    data = peer_entries(1000)
    assert data.startswith(BANNER) and data.count(b"Event: PeerEntry\r\n") == 1000
    chunks = segments(data)
    assert b"".join(chunks) == data
    assert all(len(c) == SEGMENT for c in chunks[:-1]) and 0 < len(chunks[-1]) <= SEGMENT


def test_the_fake_socket_never_hands_out_more_than_one_read() -> None:
    fake = FeedSocket([b"abcdef", b"gh"])
    assert fake.recv(4) == b"abcd"
    assert fake.recv(100) == b"ef"  # the rest of the first read, not more
    buffer = bytearray(10)
    assert fake.recv_into(buffer) == 2 and buffer[:2] == b"gh"
    assert fake.recv(10) == b"" and fake.reads == 2  # then the peer has closed
    raw = socket.SocketIO(FeedSocket([b"line one\r\nline two\r\n"]), "rwb")  # type: ignore[arg-type]
    assert list(raw) == [b"line one\r\n", b"line two\r\n"]  # as pyst2 reads it


def test_the_notify_inputs_differ_and_need_escaping() -> None:
    inputs = notify_inputs(1000)
    assert len({(c, v["Content"]) for c, v in inputs}) == 1000
    assert all(len(v) == 3 and "(" in v["Content"] for _, v in inputs)
    wire = sdk_serializer()(inputs[:1])
    assert b"Channel: phone0\r\n" in wire and b"Content=Voice-Message: 0/0 \\(0/0\\)" in wire


def test_the_sdk_receive_path_delivers_every_event() -> None:
    for walk in (False, True):
        receiver = SdkReceiver(walk=walk)
        try:
            for _ in range(2):  # a second run starts from a fresh parser, an empty queue
                got = receiver.prepare(segments(peer_entries(3000)), 3000)()
                assert (got.count, got.last) == (3000, "phone2999")
                assert got.headers == (EVENT_LINES * 3000 if walk else 0)
                assert got.done.is_set()
        finally:
            receiver.close()


def test_the_typed_receive_path_reads_typed_attributes_of_every_event() -> None:
    receiver = SdkReceiver(typed=True)
    try:
        got = receiver.prepare(segments(peer_entries(3000)), 3000)()
        assert (got.count, got.last) == (3000, ("SIP", 5060 + 2999 % 100))  # an enum, an int
    finally:
        receiver.close()


def test_the_real_asterisk_clients_count_every_pong() -> None:
    """The raw socket and the SDK clients of ``real.py`` (the other libraries are installed
    only for ``make bench``), against the embedded server in place of Asterisk."""
    from real import RawClient, SdkClient

    from sdk.testing import AMIServer

    with AMIServer.as_recorded("20") as pbx:
        for make in (RawClient, SdkClient):
            client = make(pbx.host, pbx.port)
            try:
                assert client.pipelined(300) == 300
                assert client.sequential(50) == 50
            finally:
                client.close()
        pings = [m for m in pbx.received if m.action == "Ping"]
        assert len(pings) == 2 * 350
