"""A bulk run resumes safely from any results file it or a person wrote, and Ctrl-C at any
moment leaves a file that a resume completes without sending a NOTIFY twice.

The invariant every test here checks, from the embedded servers' own records: no target
that got an answer is ever sent a NOTIFY again, and every target gets one result a run.
"""

from __future__ import annotations

import _thread
import math
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sdk import Session
from sdk.bulk import ConfigError, bulk_notify, load_pbx_config, read_results
from sdk.ratelimit import TokenBucket
from sdk.testing import AMIServer
from sdk.testing.handlers.chan_sip import sip_notify

PEERS = 40


def chan_sip_pbx() -> Iterator[AMIServer]:
    with AMIServer.as_recorded("20") as server:
        for i in range(PEERS):
            server.add_sip_peer(f"p{i}", "127.0.0.1", 5070)
        yield server


@pytest.fixture
def east() -> Iterator[AMIServer]:
    yield from chan_sip_pbx()


@pytest.fixture
def west() -> Iterator[AMIServer]:
    yield from chan_sip_pbx()


def sent(*servers: AMIServer) -> Counter[tuple[int, str]]:
    """(server index, peer) of every NOTIFY request the servers received."""
    return Counter(
        (i, m.get("Channel"))
        for i, server in enumerate(servers)
        for m in server.received
        if m.action == "SIPnotify"
    )


def options(*servers: AMIServer, **extra: Any) -> dict[str, Any]:
    names = ("east", "west")
    out: dict[str, Any] = {
        "pbxs": {n: {"url": s.url(), "rate": 200} for n, s in zip(names, servers, strict=False)},
        "secrets": {n: "s3cret" for n in names[: len(servers)]},
        "progress": False,
    }
    out.update(extra)
    return out


def targets(count: int, *pbxs: str) -> list[tuple[str, str]]:
    return [(pbx, f"p{i}") for pbx in pbxs for i in range(count)]


def assert_never_twice(counts: Counter[Any]) -> None:
    twice = [key for key, n in counts.items() if n > 1]
    assert twice == [], f"sent twice: {twice}"


# --- files a person (or a crash) left ---------------------------------------------------------


def test_a_results_file_saved_with_a_bom_is_read(east: AMIServer, tmp_path: Path) -> None:
    """Excel saves "CSV UTF-8" with a byte order mark: the header is still the header."""
    results = tmp_path / "done.csv"
    first = bulk_notify(targets(5, "east"), results=results, **options(east))
    assert [r.status for r in first.results] == ["ok"] * 5
    results.write_bytes(b"\xef\xbb\xbf" + results.read_bytes())
    again = bulk_notify(targets(5, "east"), results=results, **options(east))
    assert again.results == [] and again.skipped == 5
    assert_never_twice(sent(east))
    assert len(read_results(results)) == 5


def test_an_append_starts_on_a_line_of_its_own(east: AMIServer, tmp_path: Path) -> None:
    """A file whose last line lost its line end (an editor, a copy): the next run's first
    row must not be glued to it, or that result is lost and its target sent again."""
    results = tmp_path / "done.csv"
    bulk_notify(targets(5, "east"), results=results, **options(east))
    results.write_bytes(results.read_bytes().rstrip(b"\r\n"))
    second = bulk_notify(targets(10, "east"), results=results, **options(east))
    assert second.skipped == 5 and len(second.results) == 5
    third = bulk_notify(targets(10, "east"), results=results, **options(east))
    assert third.results == [] and third.skipped == 10
    assert_never_twice(sent(east))
    assert [r.target for r in read_results(results)] == [f"p{i}" for i in range(10)]


def test_a_file_cut_inside_a_quoted_field(east: AMIServer, tmp_path: Path) -> None:
    """A crash in the middle of a row whose message is quoted leaves the quote open: the
    rows appended after it would become part of that message. The quote is closed first."""

    def notify(conn: Any, request: Any) -> None:
        if request.get("Channel") == "p2":
            conn.error(request, 'Refused, "as asked"')
        else:
            sip_notify(conn, request)

    east.handle("SIPnotify", notify)
    results = tmp_path / "done.csv"
    bulk_notify(targets(3, "east"), results=results, **options(east))
    text = results.read_text(encoding="utf-8")
    results.write_text(text[: text.index('"as asked') + 5], encoding="utf-8")  # cut mid-message
    assert read_results(results)[-1].status == "error"  # the answer is still on record
    second = bulk_notify(targets(6, "east"), results=results, **options(east))
    assert [r.target for r in second.results] == ["p3", "p4", "p5"]
    third = bulk_notify(targets(6, "east"), results=results, **options(east))
    assert third.results == [] and third.skipped == 6
    assert_never_twice(sent(east))
    rows = read_results(results)
    assert [r.target for r in rows] == [f"p{i}" for i in range(6)]
    assert [r.status for r in rows] == ["ok", "ok", "error", "ok", "ok", "ok"]


def test_a_file_that_is_not_a_results_file_is_refused(east: AMIServer, tmp_path: Path) -> None:
    """The targets CSV given as results by mistake: refused, not read as "no results" (which
    would send every NOTIFY again and append results to the targets)."""
    wrong = tmp_path / "targets.csv"
    wrong.write_text("pbx,target\r\neast,p1\r\neast,p2\r\n", encoding="utf-8")
    reordered = tmp_path / "reordered.csv"
    reordered.write_text("target,pbx,status,message,method,action_id,time\r\n", encoding="utf-8")
    for path in (wrong, reordered):
        before = path.read_bytes()
        with pytest.raises(ConfigError, match=r"line 1: not a results file: its header must be"):
            bulk_notify(targets(2, "east"), results=path, **options(east))
        assert path.read_bytes() == before
    assert east.received == []


def test_an_empty_or_new_results_file_gets_the_header(east: AMIServer, tmp_path: Path) -> None:
    for name, content in (("empty.csv", b""), ("bom.csv", b"\xef\xbb\xbf"), ("blank.csv", b"\n")):
        path = tmp_path / name
        path.write_bytes(content)
        report = bulk_notify(targets(2, "east"), results=path, **options(east))
        assert [r.status for r in report.results] == ["ok", "ok"]
        assert [r.target for r in read_results(path)] == ["p0", "p1"]
        east.received.clear()


def test_a_huge_message_is_cut_and_any_field_reads_back(east: AMIServer, tmp_path: Path) -> None:
    """A PBX may answer with a 200,000-character Message; csv refuses fields over 128 KiB
    when reading, so a resume of a file holding one crashed."""
    east.handle("SIPnotify", lambda conn, request: conn.error(request, "x" * 200_000))
    results = tmp_path / "done.csv"
    report = bulk_notify(targets(2, "east"), results=results, **options(east))
    assert [r.status for r in report.results] == ["error", "error"]
    assert 100 < len(report.results[0].message) <= 2000
    again = bulk_notify(targets(2, "east"), results=results, **options(east))
    assert again.skipped == 2
    with results.open("a", encoding="utf-8", newline="") as handle:  # as an older run wrote it
        handle.write("east,p9,error," + "y" * 300_000 + ",SIPnotify,x,t\r\n")
    assert read_results(results)[-1].message == "y" * 300_000
    assert bulk_notify([("east", "p9")], results=results, **options(east)).skipped == 1
    assert_never_twice(sent(east))


@pytest.mark.parametrize("rate", [math.nan, math.inf, -math.inf, 0, -5, 1e6, "20", True, None])
def test_a_rate_must_be_finite_positive_and_bounded(rate: Any) -> None:
    with pytest.raises(ConfigError, match=r"east: rate must be a positive number .* at most 1000"):
        load_pbx_config({"east": {"url": "ami://admin@127.0.0.1:1", "rate": rate}})
    if rate is not None and not isinstance(rate, str):
        with pytest.raises(ConfigError, match=r"east: rate must be"):
            bulk_notify(
                [("east", "p1")],
                pbxs={"east": {"url": "ami://admin@127.0.0.1:1"}},
                rate=rate,
                dry_run=True,
                progress=False,
            )
    assert load_pbx_config({"east": {"url": "ami://a@h:1", "rate": 1000}})["east"].rate == 1000


@pytest.mark.parametrize("rate", [math.nan, math.inf, 0, -1])
def test_the_token_bucket_refuses_a_rate_that_is_no_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be a finite positive number"):
        TokenBucket(rate)


# --- errors inside a PBX's thread -------------------------------------------------------------


def test_an_error_in_a_pbx_thread_still_gives_every_target_one_result(
    east: AMIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception this code did not expect, while building one action and while awaiting
    another's answer: every target still gets exactly one result, and a resume sends only
    what was surely not sent."""
    import sdk.bulk

    build = sdk.bulk.build_notify

    def build_notify(method: str, target: str, **kwargs: Any) -> Any:
        if target == "p3":
            raise RuntimeError("cannot build this one")
        return build(method, target, **kwargs)

    wait = Session.wait

    def failing_wait(self: Session, pending: Any, timeout: float | None = None) -> Any:
        if pending.action.channel == "p6":
            raise RuntimeError("lost track")
        return wait(self, pending, timeout=timeout)

    monkeypatch.setattr(sdk.bulk, "build_notify", build_notify)
    monkeypatch.setattr(Session, "wait", failing_wait)
    east.fault("lag", "SIPnotify", times=10**6, delay=0.3)  # answers in flight when p6 fails
    results = tmp_path / "done.csv"
    report = bulk_notify(targets(PEERS, "east"), results=results, **options(east, rate=20))
    assert Counter(r.target for r in report.results) == {f"p{i}": 1 for i in range(PEERS)}
    status = {r.target: r.status for r in report.results}
    message = {r.target: r.message for r in report.results}
    assert status["p3"] == "invalid" and "cannot build this one" in message["p3"]
    assert status["p6"] == "unknown" and "lost track" in message["p6"]
    assert {status[f"p{i}"] for i in range(6)} == {"ok", "invalid"}
    assert {status[f"p{i}"] for i in range(7, PEERS)} <= {"unknown", "unreachable"}
    assert "unreachable" in status.values()  # what was never sent says so
    monkeypatch.setattr(Session, "wait", wait)
    resumed = bulk_notify(targets(PEERS, "east"), results=results, **options(east))
    assert {r.target for r in resumed.results} == {
        t for t, s in status.items() if s == "unreachable"
    }
    assert_never_twice(sent(east))


# --- Ctrl-C at any moment ---------------------------------------------------------------------


def interrupt_when(condition: Callable[[], bool], *, again_after: float | None = None) -> Any:
    """A thread that presses Ctrl-C (SIGINT to the main thread) once ``condition`` holds,
    and once more ``again_after`` seconds later."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not condition():
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        _thread.interrupt_main()
        if again_after is not None:
            time.sleep(again_after)
            _thread.interrupt_main()

    thread = threading.Thread(target=watch, name="ctrl-c")
    thread.start()
    return thread


def run_interrupted(wanted: list[tuple[str, str]], **kwargs: Any) -> Any:
    """bulk_notify, which must return its report when interrupted, never raise."""
    try:
        return bulk_notify(wanted, **kwargs)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped bulk_notify")


def resume_and_check(
    servers: tuple[AMIServer, ...], results: Path, wanted: list[tuple[str, str]], first: Any
) -> None:
    """The interrupted run returned; every NOTIFY it sent has its result in the file; a
    resume sends exactly what got no answer, and then every target has one."""
    assert first.interrupted
    names = ("east", "west")
    in_file = {(r.pbx, r.target): r.status for r in read_results(results)}
    sent_first = sent(*servers)
    assert_never_twice(sent_first)
    assert {(names[i], peer) for i, peer in sent_first} == set(in_file)  # no send unrecorded
    rest = bulk_notify(wanted, results=results, **options(*servers))
    assert not rest.interrupted
    assert {(r.pbx, r.target) for r in rest.results} == set(wanted) - set(in_file)
    assert_never_twice(sent(*servers))
    assert Counter((r.pbx, r.target) for r in read_results(results)) == dict.fromkeys(wanted, 1)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["signal", "raise before", "raise after"])
def test_ctrl_c_while_the_pbx_threads_start(
    east: AMIServer, west: AMIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Ctrl-C between starting one PBX's thread and the next (a SIGINT, or a KeyboardInterrupt
    raised before or after the start): before, one thread was never started and the run
    waited for it for ever."""
    start = threading.Thread.start
    calls: list[str] = []

    def patched(self: threading.Thread) -> None:
        if self.name.startswith("bulk-"):
            calls.append(self.name)
            if len(calls) == 2 and how == "signal":
                signal.raise_signal(signal.SIGINT)
            elif len(calls) == 2 and how == "raise before":
                raise KeyboardInterrupt
        start(self)
        if self.name.startswith("bulk-") and len(calls) == 2 and how == "raise after":
            raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", patched)
    wanted = targets(PEERS, "east", "west")
    results = tmp_path / "done.csv"
    report = run_interrupted(wanted, results=results, **options(east, west, rate=20))
    monkeypatch.setattr(threading.Thread, "start", start)
    assert calls[:2] == ["bulk-east", "bulk-west"]
    resume_and_check((east, west), results, wanted, report)


@pytest.mark.timeout(120)
def test_ctrl_c_while_logging_in(east: AMIServer, west: AMIServer, tmp_path: Path) -> None:
    east.fault("slow", "Login", delay=1.0)
    wanted = targets(PEERS, "east", "west")
    results = tmp_path / "done.csv"
    watcher = interrupt_when(lambda: any(m.action == "Login" for m in east.received))
    try:
        report = run_interrupted(wanted, results=results, **options(east, west, rate=20))
    finally:
        watcher.join()
    resume_and_check((east, west), results, wanted, report)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("after", [1, 7])
def test_ctrl_c_twice_while_answers_are_in_flight(
    east: AMIServer, west: AMIServer, tmp_path: Path, after: int
) -> None:
    """Ctrl-C after some NOTIFYs, then again while their late answers are awaited: the
    answers are still awaited and written, and the run returns."""
    for server in (east, west):
        server.fault("lag", "SIPnotify", times=10**6, delay=1.5)
    wanted = targets(PEERS, "east", "west")
    results = tmp_path / "done.csv"
    watcher = interrupt_when(lambda: len(sent(east, west)) >= after, again_after=0.2)
    try:
        report = run_interrupted(
            wanted, results=results, **options(east, west, rate=20, timeout=20)
        )
    finally:
        watcher.join()
    assert report.results and all(r.status == "ok" for r in report.results)
    resume_and_check((east, west), results, wanted, report)
