"""Fixtures of the ``asterisk`` suite (a pytest plugin: ``pytest_plugins = ["harness"]``).

The suite runs against the two real servers that ``build.sh`` installed (``make
test-asterisk`` builds them first). They start once per test run, both at once, and stop
by their PIDs when the run ends, passes or fails or is interrupted (the fixture's teardown;
a run killed outright takes them with it, see ``servers.py``). Without a built server the
run stops at the first test with one line saying how to build one: it never skips.

Each server comes with a ``Phone``: a UDP socket on the port where Asterisk sends SIP for
phone1, answering ``200 OK`` as a phone would, keeping each request it got.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from servers import Asterisk, Config, NotBuilt, locate

from sdk import Session

ADMIN = ("admin", "s3cret")
READONLY = ("readonly", "r3ad")
ANSWERED = {"NOTIFY", "OPTIONS"}
_COPIED = ("via", "from", "to", "call-id", "cseq")


class Phone:
    """Stands in for phone1: keeps every SIP request that reaches its port, answers 200 OK."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.requests: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"phone-{port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            text = data.decode("utf-8", "surrogateescape")
            method = text.split(" ", 1)[0]
            if method in ANSWERED:
                head = text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
                kept = [line for line in head if line.split(":", 1)[0].strip().lower() in _COPIED]
                answer = "SIP/2.0 200 OK\r\n" + "".join(f"{h}\r\n" for h in kept)
                self.sock.sendto((answer + "Content-Length: 0\r\n\r\n").encode(), peer)
                with self._cond:
                    self.requests.append(text)
                    self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()

    def wait(self, count: int = 1, timeout: float = 15.0) -> list[str]:
        """The first ``count`` requests since ``clear()``; AssertionError when fewer come."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.requests) >= count, timeout)
            got = list(self.requests)
        assert len(got) >= count, f"the phone got {len(got)} SIP requests, not {count}"
        return got[:count]

    def quiet(self, seconds: float = 1.0) -> list[str]:
        """What arrives within ``seconds`` (for a NOTIFY that must not be sent)."""
        time.sleep(seconds)
        with self._cond:
            return list(self.requests)

    def close(self) -> None:
        self.sock.close()
        self._thread.join(5)


@dataclass
class Real:
    """One running real server, its phone, and how to reach it."""

    config: Config
    process: Asterisk
    phone: Phone

    @property
    def version(self) -> str:
        return self.config.version

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        return self.config.ami_port

    def url(self, user: str = "admin", tls: bool = False) -> str:
        if tls:
            return f"amis://{user}@{self.host}:{self.config.tls_port}"
        return f"ami://{user}@{self.host}:{self.port}"

    def session(self, user: tuple[str, str] = ADMIN, **kwargs: Any) -> Session:
        kwargs.setdefault("timeout", 15.0)
        return Session(self.host, self.port, username=user[0], secret=user[1], **kwargs)


def _start_all(configs: dict[str, Config], started: dict[str, Real]) -> None:
    """Start every server (from this thread: see ``Asterisk.launch``), then wait for all."""
    for version, config in configs.items():
        process = Asterisk(config)
        started[version] = Real(config, process, Phone(config.phone_port, config.host))
        process.launch()
    for real in started.values():
        real.process.wait_booted()


def stop_all(started: dict[str, Real]) -> None:
    for real in started.values():
        real.process.stop()
        real.phone.close()


@pytest.fixture(scope="session")
def asterisks() -> Iterator[dict[str, Real]]:
    """Both real servers, started for this run and stopped (by PID) at its end."""
    try:
        configs = locate()
    except NotBuilt as exc:
        pytest.exit(str(exc), returncode=1)
    started: dict[str, Real] = {}
    try:
        _start_all(configs, started)
        yield started
    finally:
        stop_all(started)


def _check_marked(request: pytest.FixtureRequest) -> None:
    """Every test of a real server is marked ``asterisk``, so that ``make test`` leaves it out."""
    assert request.node.get_closest_marker("asterisk"), (
        f"{request.node.nodeid} uses a real Asterisk: mark it (pytestmark = pytest.mark.asterisk)"
    )


def alive(real: Real) -> Real:
    """The server, started again should a test have stopped it; its phone cleared."""
    if not real.process.running():
        real.process.start()
    real.phone.clear()
    return real


@pytest.fixture
def ast20(request: pytest.FixtureRequest, asterisks: dict[str, Real]) -> Real:
    _check_marked(request)
    return alive(asterisks["20"])


@pytest.fixture
def ast22(request: pytest.FixtureRequest, asterisks: dict[str, Real]) -> Real:
    _check_marked(request)
    return alive(asterisks["22"])


@pytest.fixture(params=["20", "22"])
def real(request: pytest.FixtureRequest, asterisks: dict[str, Real]) -> Real:
    """Each real server in turn."""
    _check_marked(request)
    return alive(asterisks[request.param])


@pytest.fixture
def real_of(request: pytest.FixtureRequest, asterisks: dict[str, Real]) -> Callable[[str], Real]:
    """``real_of("20")``: that server (for tests parametrized by their own data)."""
    _check_marked(request)
    return lambda version: alive(asterisks[version])
