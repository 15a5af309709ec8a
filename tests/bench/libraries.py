"""Each library through its own code: how it builds and writes an action, how it reads.

Serializing: each builds its action object from the same (channel, variables) and turns it
into the bytes it would write, ActionID included (each makes its ID as it does when it
sends). Ours validates and escapes on the way; the others do neither.

- asterisk-ami-sdk (this): ``SIPnotify(...)`` then ``to_bytes(action_id=...)``, the ID
  made as ``Session.submit`` makes it.
- panoramisk: ``Action({...})`` (it makes the ActionID) then ``str(action).encode()``, as
  ``AMIProtocol.send`` does.
- asterisk-ami: ``Action(name, keys, variables)`` with ``next_action_id()``, then
  ``AMIClient.send``, which formats and encodes it, into a fake socket.
- pyst2: it has no action object: ``Manager.send_action(dict)`` formats, encodes and writes
  the dict; here into a fake file, with its wait for the answer answered at once.

Reading: each gets the same bytes (the banner, then PeerEntry events) in 64 KiB reads through
its own receive path, up to the user's callback for ``PeerEntry``, which reads one header
(ObjectName) with the library's own lookup; or, in the second figure, walks every header the
library hands over (its pairs, or its dict's items), so that nothing is left unparsed.

- ours: ``Session._on_data``, what the session's I/O thread calls with each read: the
  parser, then routing (ActionID, list items), callbacks and the bounded event queue.
- panoramisk: ``AMIProtocol.data_received``, what asyncio calls with each read, with its
  ``Manager`` as factory (event dispatch by pattern).
- asterisk-ami: ``AMIClient.listen``, its reader thread's loop, on a fake socket; it reads
  with its default ``buffer_size`` (1 KiB), which is faster here than 64 KiB (it copies
  its buffer after each message).
- pyst2: its three threads (reader, message loop, event dispatch) on a fake socket wrapped
  as ``makefile('rwb', buffering=0)`` wraps a real one: it reads lines one byte at a time.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from inputs import EVENT_LINES, FeedSocket

Inputs = list[tuple[str, dict[str, str]]]


class Collector:
    """What every library's callback does: count the events and keep the last ObjectName,
    read as a user reads one header (``lookup``), or found by walking every header of the
    event (``walk``: the library hands over its pairs, this loop is the same for all)."""

    def __init__(self) -> None:
        self.count = 0
        self.headers = 0
        self.last: str | None = None
        self.done = threading.Event()
        self.expect = 0

    def reset(self, expect: int) -> None:
        self.count = self.headers = 0
        self.last = None
        self.expect = expect
        self.done.clear()

    def add(self, name: str | None) -> None:
        self.count += 1
        self.last = name
        if self.count == self.expect:
            self.done.set()

    def typed(self, port: int | None, kind: str | None) -> None:
        """What the SDK's typed callback does: two typed attributes read, the last kept
        (as ``add`` keeps one header)."""
        self.count += 1
        self.last = (kind, port)  # type: ignore[assignment]
        if self.count == self.expect:
            self.done.set()

    def walk(self, pairs: Iterable[tuple[str, str]]) -> None:
        name = None
        for key, value in pairs:
            self.headers += 1
            if key == "ObjectName":
                name = value
        self.add(name)


# --- serializing -------------------------------------------------------------------------


def sdk_serializer() -> Callable[[Inputs], bytes]:
    from sdk.actions import SIPnotify

    ids = itertools.count(1)
    prefix = secrets.token_hex(3) + "-"

    def run(inputs: Inputs) -> bytes:
        data = b""
        for channel, variables in inputs:
            data = SIPnotify(channel=channel, variables=variables).to_bytes(
                action_id=f"{prefix}{next(ids)}"
            )
        return data

    return run


def panoramisk_serializer() -> Callable[[Inputs], bytes]:
    from panoramisk.actions import Action

    asyncio.set_event_loop(asyncio.new_event_loop())  # its actions hold a Future

    def run(inputs: Inputs) -> bytes:
        data = b""
        for channel, variables in inputs:
            action = Action(
                {
                    "Action": "SIPnotify",
                    "Channel": channel,
                    "Variable": [f"{k}={v}" for k, v in variables.items()],
                }
            )
            data = str(action).encode("utf8")
        return data

    return run


def asterisk_ami_serializer() -> Callable[[Inputs], bytes]:
    from asterisk.ami import Action, AMIClient

    client = AMIClient()
    fake = FeedSocket([])
    client._socket = fake

    def run(inputs: Inputs) -> bytes:
        fake.sent.clear()
        for channel, variables in inputs:
            action = Action(
                "SIPnotify",
                keys={"Channel": channel, "ActionID": client.next_action_id()},
                variables=variables,
            )
            client.send(action)
        return fake.sent[-1]

    return run


class _Written:
    last = b""

    def write(self, data: bytes) -> None:
        self.last = data

    def flush(self) -> None:
        pass


class _Answered:
    def get(self) -> str:
        return "Response: Success"


def pyst2_serializer() -> Callable[[Inputs], bytes]:
    from asterisk.manager import Manager

    manager = Manager()
    out = _Written()
    manager._sock = out
    manager._response_queue = _Answered()  # the answer to each action, at once
    manager._connected.set()

    def run(inputs: Inputs) -> bytes:
        for channel, variables in inputs:
            manager.send_action(
                {
                    "Action": "SIPnotify",
                    "Channel": channel,
                    "Variable": [f"{k}={v}" for k, v in variables.items()],
                }
            )
        return out.last

    return run


SERIALIZERS: dict[str, Callable[[], Callable[[Inputs], bytes]]] = {
    "asterisk-ami-sdk": sdk_serializer,
    "panoramisk": panoramisk_serializer,
    "asterisk-ami": asterisk_ami_serializer,
    "pyst2": pyst2_serializer,
}


# --- reading -----------------------------------------------------------------------------


class SdkReceiver:
    """A real session (logged in to the embedded server), fed by hand what its I/O thread
    would read, through the parser a connection of the session gets (each event built as
    its class of ``sdk.events``: ``PeerEntry``). With ``typed``, the callback is registered
    for ``events.PeerEntry`` and reads two typed attributes (``ip_port``, an int, and
    ``channeltype``, an enum) instead of one header; with ``untyped``, the parser is the one
    of before typed events (``Parser()``: every event an ``Event``)."""

    def __init__(self, walk: bool = False, typed: bool = False, untyped: bool = False) -> None:
        from sdk import Session, events
        from sdk.testing import AMIServer

        self.server = AMIServer.as_recorded("20").start()
        self.session = Session(
            self.server.host, self.server.port, username="admin", secret="s3cret"
        )
        self.collector = Collector()
        self.untyped = untyped  # the parser of before typed events: every event an Event
        collector = self.collector
        if typed:
            self.session.on(
                events.PeerEntry, lambda event: collector.typed(event.ip_port, event.channeltype)
            )
        elif walk:
            self.session.on("PeerEntry", lambda event: collector.walk(event.headers))
        else:
            self.session.on("PeerEntry", lambda event: collector.add(event.get("ObjectName")))

    def prepare(self, chunks: list[bytes], count: int) -> Callable[[], Collector]:
        from sdk.wire.parser import Parser

        for _ in self.session.events(timeout=0):  # the last run's queue
            pass
        self.collector.reset(count)
        # what a new connection's I/O thread runs, with the parser the session gives it
        parser = Parser() if self.untyped else self.session.options.parser()
        on_data = self.session._reader(parser)

        def run() -> Collector:
            for chunk in chunks:
                on_data(chunk)
            return self.collector

        return run

    def close(self) -> None:
        self.session.close()
        self.server.stop()


class _Transport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class PanoramiskReceiver:
    def __init__(self, walk: bool = False) -> None:
        from panoramisk import Manager

        collector = self.collector = Collector()
        self.manager = Manager(loop=asyncio.new_event_loop())
        if walk:
            callback = lambda manager, event: collector.walk(event.items())  # noqa: E731
        else:
            callback = lambda manager, event: collector.add(event["ObjectName"])  # noqa: E731
        self.manager.register_event("PeerEntry", callback)

    def prepare(self, chunks: list[bytes], count: int) -> Callable[[], Collector]:
        from collections import deque

        from panoramisk.ami_protocol import AMIProtocol

        protocol = AMIProtocol()
        protocol.connection_made(_Transport())
        # what Manager.connection_made sets up
        protocol.queue = deque()
        protocol.factory = self.manager
        protocol.log = self.manager.log
        protocol.config = self.manager.config
        protocol.encoding = self.manager.config["encoding"]
        self.collector.reset(count)

        def run() -> Collector:
            for chunk in chunks:
                protocol.data_received(chunk)
            return self.collector

        return run

    def close(self) -> None:
        self.manager.loop.close()


class AsteriskAmiReceiver:
    def __init__(self, walk: bool = False, buffer_size: int | None = None) -> None:
        self.collector = Collector()
        self.buffer_size = buffer_size
        self.walk = walk

    def prepare(self, chunks: list[bytes], count: int) -> Callable[[], Collector]:
        from asterisk.ami import AMIClient

        kwargs = {} if self.buffer_size is None else {"buffer_size": self.buffer_size}
        client = AMIClient(**kwargs)
        collector = self.collector
        if self.walk:
            callback = lambda event, source: collector.walk(event.keys.items())  # noqa: E731
        else:
            callback = lambda event, source: collector.add(event["ObjectName"])  # noqa: E731
        client.add_event_listener(callback, white_list="PeerEntry")
        client._socket = FeedSocket(chunks)
        client.finished = threading.Event()
        self.collector.reset(count)

        def run() -> Collector:
            client.listen()  # its reader thread's loop, here on this thread; ends at EOF
            return self.collector

        return run

    def close(self) -> None:
        pass


class Pyst2Receiver:
    def __init__(self, walk: bool = False) -> None:
        self.collector = Collector()
        self.walk = walk

    def prepare(self, chunks: list[bytes], count: int) -> Callable[[], Collector]:
        from asterisk.manager import Manager, ManagerSocketException

        manager = Manager()
        gate = threading.Event()
        fake: Any = FeedSocket(chunks, gate)
        manager._sock = socket.SocketIO(fake, "rwb")  # what makefile('rwb', buffering=0) is
        manager._connected.set()
        manager._running.set()
        collector = self.collector
        if self.walk:
            callback = lambda event, manager: collector.walk(event.headers.items())  # noqa: E731
        else:
            callback = lambda event, manager: collector.add(event.get_header("ObjectName"))  # noqa: E731
        manager.register_event("PeerEntry", callback)
        manager.message_thread.start()
        manager.event_dispatch_thread.start()
        self.collector.reset(count)

        def run() -> Collector:
            gate.set()
            manager._response_queue.get()  # the greeting, as connect() waits for it
            self.collector.done.wait(600)
            try:
                manager.close()  # its threads end at EOF
            except ManagerSocketException:  # its reader met the EOF first: nothing to log off
                pass
            return self.collector

        return run

    def close(self) -> None:
        pass


RECEIVERS: dict[str, Callable[..., Any]] = {
    "asterisk-ami-sdk": SdkReceiver,
    "panoramisk": PanoramiskReceiver,
    "asterisk-ami": AsteriskAmiReceiver,
    "pyst2": Pyst2Receiver,
}

__all__ = ["EVENT_LINES", "RECEIVERS", "SERIALIZERS", "Collector"]
