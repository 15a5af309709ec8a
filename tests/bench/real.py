"""Round trips against the real Asterisk 20 that ``make test-asterisk`` built.

``make bench`` starts that server itself (``tests/asterisk/servers.py``), measures, and
stops it. Each client logs in once (events off) and then answers batches of 2,000 Pings,
two ways:

- pipelined: the 2,000 written at once (as fast as the client writes them), then every
  answer waited for;
- sequential: send one, wait for its answer, send the next (what most ops scripts do).

The clients: a raw socket (the server's own limit: it writes the bytes and counts the
answers, nothing more), this SDK (``submit``/``wait``, and ``send``), panoramisk
(``send_action`` futures on its asyncio loop) and asterisk-ami (``send_action`` futures,
read by its thread). Every batch checks that each answer is a Pong.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timing import Figure, interleaved, one_run

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "asterisk"))

COUNT = 2000
SEPARATOR = b"\r\n\r\n"


class RawClient:
    """A socket that writes Pings and counts the answers (no parsing beyond that)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._tail = b""
        banner = b""
        while b"\r\n" not in banner:
            banner += self.sock.recv(4096)
        self._tail = banner.partition(b"\r\n")[2]
        self.sock.sendall(
            b"Action: Login\r\nUsername: admin\r\nSecret: s3cret\r\nEvents: off\r\n\r\n"
        )
        answer = self._read(1)
        if b"Authentication accepted" not in answer:
            raise AssertionError(f"raw login refused: {answer!r}")

    def _read(self, count: int) -> bytes:
        """Read until ``count`` more messages have ended; return what was read."""
        got = self._tail
        seen = got.count(SEPARATOR)
        while seen < count:
            data = self.sock.recv(262144)
            if not data:
                raise ConnectionError("the server closed the connection")
            seen += (got[-3:] + data).count(SEPARATOR)
            got += data
        # keep what follows the last message counted (nothing, when answers are whole)
        cut = 0
        for _ in range(count):
            cut = got.index(SEPARATOR, cut) + 4
        self._tail = got[cut:]
        return got[:cut]

    def pipelined(self, count: int) -> int:
        self.sock.sendall(
            b"".join(b"Action: Ping\r\nActionID: r%d\r\n\r\n" % i for i in range(count))
        )
        if self._read(count).count(b"Ping: Pong\r\n") != count:
            raise AssertionError("raw: not every answer was a Pong")
        return count

    def sequential(self, count: int) -> int:
        for i in range(count):
            self.sock.sendall(b"Action: Ping\r\nActionID: r%d\r\n\r\n" % i)
            if b"Ping: Pong\r\n" not in self._read(1):
                raise AssertionError("raw: an answer was not a Pong")
        return count

    def close(self) -> None:
        self.sock.close()


class SdkClient:
    def __init__(self, host: str, port: int) -> None:
        from sdk import Session

        self.session = Session(host, port, username="admin", secret="s3cret", timeout=60)

    def pipelined(self, count: int) -> int:
        from sdk.actions import Ping

        ami = self.session
        pending = [ami.submit(Ping()) for _ in range(count)]
        for item in pending:
            if ami.wait(item).get("Ping") != "Pong":
                raise AssertionError("sdk: an answer was not a Pong")
        return count

    def sequential(self, count: int) -> int:
        from sdk.actions import Ping

        send = self.session.send
        for _ in range(count):
            if send(Ping()).get("Ping") != "Pong":
                raise AssertionError("sdk: an answer was not a Pong")
        return count

    def close(self) -> None:
        self.session.close()


class PanoramiskClient:
    def __init__(self, host: str, port: int) -> None:
        from panoramisk import Manager

        self.loop = asyncio.new_event_loop()
        self.manager = Manager(
            loop=self.loop,
            host=host,
            port=port,
            username="admin",
            secret="s3cret",
            events="off",
            ping_delay=3600,  # its own keepalive Pings would mix with the measured ones
        )
        self.loop.run_until_complete(self.manager.connect())

    @staticmethod
    def _check(answers: list[Any]) -> None:
        if any(a.get("Ping") != "Pong" for a in answers):
            raise AssertionError("panoramisk: an answer was not a Pong")

    def pipelined(self, count: int) -> int:
        async def run() -> list[Any]:
            send = self.manager.send_action
            return await asyncio.gather(*[send({"Action": "Ping"}) for _ in range(count)])

        self._check(self.loop.run_until_complete(run()))
        return count

    def sequential(self, count: int) -> int:
        async def run() -> list[Any]:
            send = self.manager.send_action
            return [await send({"Action": "Ping"}) for _ in range(count)]

        self._check(self.loop.run_until_complete(run()))
        return count

    def close(self) -> None:
        self.manager.close()
        self.loop.close()


class AsteriskAmiClient:
    def __init__(self, host: str, port: int) -> None:
        from asterisk.ami import AMIClient, SimpleAction

        self.client = AMIClient(address=host, port=port, timeout=120)  # its reads time out too
        self.action = SimpleAction
        answer = self.client.login(username="admin", secret="s3cret").response
        if answer is None or answer.is_error():
            raise AssertionError(f"asterisk-ami login refused: {answer}")
        events = self.client.send_action(SimpleAction("Events", EventMask="off")).response
        if events is None or events.is_error():
            raise AssertionError(f"asterisk-ami Events off refused: {events}")

    @staticmethod
    def _check(answer: Any) -> None:
        if answer is None or answer.keys.get("Ping") != "Pong":
            raise AssertionError("asterisk-ami: an answer was not a Pong")

    def pipelined(self, count: int) -> int:
        send, ping = self.client.send_action, self.action
        futures = [send(ping("Ping")) for _ in range(count)]
        for future in futures:
            self._check(future.response)
        return count

    def sequential(self, count: int) -> int:
        send, ping = self.client.send_action, self.action
        for _ in range(count):
            self._check(send(ping("Ping")).response)
        return count

    def close(self) -> None:
        self.client.logoff()
        self.client.disconnect()


CLIENTS: dict[str, Callable[[str, int], Any]] = {
    "raw socket": RawClient,
    "asterisk-ami-sdk": SdkClient,
    "panoramisk": PanoramiskClient,
    "asterisk-ami": AsteriskAmiClient,
}


def measure(
    host: str, port: int, rounds: int, min_time: float, count: int = COUNT
) -> dict[str, dict[str, Figure]]:
    """{"pipelined" | "sequential": {client: Figure (seconds per Ping)}}, the clients'
    runs interleaved round by round."""
    clients = {name: make(host, port) for name, make in CLIENTS.items()}
    try:
        out = {}
        for way in ("pipelined", "sequential"):
            contenders = {}
            for name, client in clients.items():
                batch = getattr(client, way)
                batch(count)  # warm up: caches, the server's buffers
                contenders[name] = lambda batch=batch: one_run(lambda: batch(count), min_time)
            out[way] = interleaved(contenders, rounds)
        return out
    finally:
        for client in clients.values():
            client.close()


def with_real_asterisk(run: Callable[[str, int], Any]) -> tuple[Any, str | None]:
    """``run(host, port)`` against the built Asterisk 20, started and stopped here; returns
    (its result, None), or (None, why there is no server)."""
    from servers import Asterisk, NotBuilt, locate

    try:
        config = locate(("20",))["20"]
    except NotBuilt as exc:
        return None, str(exc)
    with Asterisk(config) as server:
        return run(server.config.host, server.config.ami_port), None
