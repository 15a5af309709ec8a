"""Shared test helpers: the recorded fixtures and an embedded server set up like the recording."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from sdk import Session
from sdk.client.memory import MemoryTransport
from sdk.testing import AMIServer

FIXTURES = Path(__file__).parent / "fixtures"

# Fuzz tests are reproducible by default (CI included): the same examples on every run, no
# example database. HYPOTHESIS_PROFILE=explore draws new examples, for hunting bugs locally.
settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def fixture_path(name: str, version: str = "20.20.1") -> Path:
    return FIXTURES / f"asterisk-{version}" / f"{name}.json"


def load_fixture(name: str, version: str = "20.20.1") -> dict[str, Any]:
    return json.loads(fixture_path(name, version).read_text(encoding="utf-8"))


def all_fixtures() -> list[tuple[str, str]]:
    """(version, name) of every recorded session."""
    out = []
    for directory in sorted(FIXTURES.glob("asterisk-*")):
        version = directory.name.removeprefix("asterisk-")
        out.extend((version, path.stem) for path in sorted(directory.glob("*.json")))
    return out


def admin_session(server: AMIServer, **kwargs: Any) -> Session:
    """A session to ``server`` as its recorded user ``admin``; ``kwargs`` go to ``Session``."""
    kwargs.setdefault("username", "admin")
    kwargs.setdefault("secret", "s3cret")
    return Session(server.host, server.port, **kwargs)


def memory_session(transport: MemoryTransport, **kwargs: Any) -> Session:
    """A session over ``transport`` (no socket) as its user ``admin``; ``kwargs`` go to
    ``Session``."""
    kwargs.setdefault("username", "admin")
    kwargs.setdefault("secret", "s3cret")
    return Session("memory", transport=transport, **kwargs)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; True if it became so."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def run_threads(target: Callable[[int], None], count: int, timeout: float = 120) -> None:
    """Run ``target(i)`` for i in range(count) on as many threads at once; raise the first
    failure of any of them (after all have ended)."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:  # noqa: BLE001 - raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "threads still running"
    if errors:
        raise errors[0]


# Lines tests add to the end of the run's report (``report_line``), each said once, plainly.
REPORT_LINES = pytest.StashKey[dict[str, None]]()
# What the conformance tests say in a clone without ../shared (the normal case for a user).
NO_DOCS_LINE = (
    "conformance: checked the committed documentation tables against their digests"
    " (no Asterisk documentation XML or sources here; CI compares them with those)"
)


@pytest.fixture
def report_line(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Say one thing in the run's report: what a test checked where a resource was absent."""
    lines = request.config.stash.setdefault(REPORT_LINES, {})
    return lambda line: lines.setdefault(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in terminalreporter.config.stash.get(REPORT_LINES, []):
        terminalreporter.write_line(line)


@pytest.fixture
def server() -> Iterator[AMIServer]:
    with AMIServer.as_recorded() as pbx:
        yield pbx


@pytest.fixture
def session(server: AMIServer) -> Iterator[Session]:
    with Session(server.host, server.port, username="admin", secret="s3cret", timeout=5) as ami:
        yield ami


@pytest.fixture
def memory() -> MemoryTransport:
    """Handlers in memory (``sdk.client.memory``): for session tests that need no socket."""
    return MemoryTransport()


@pytest.fixture
def memory_ami(memory: MemoryTransport) -> Iterator[Session]:
    with memory_session(memory, timeout=5) as ami:
        yield ami


@pytest.fixture
def jupyter_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every Jupyter folder under ``tmp_path/jupyter`` (nothing lands in the home folder),
    a ``python3`` kernel that is this Python, and no AMI_* variables."""
    from ipykernel.kernelspec import write_kernel_spec

    base = tmp_path / "jupyter"
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_PATH",
        "IPYTHONDIR",
        "JUPYTERLAB_WORKSPACES_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
    ):
        folder = base / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(name, str(folder))
    write_kernel_spec(str(base / "jupyter_path" / "kernels" / "python3"))
    for name in ("AMI_URL", "AMI_SECRET", "AMI_DEMO_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    return base


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every test must join the threads it started (readers, server connections)."""
    before = set(threading.enumerate())
    yield
    deadline_threads = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in deadline_threads:
        thread.join(timeout=5)
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"
