"""Bulk NOTIFY across PBXs: one result per target, the rate held at send time, resumable."""

from __future__ import annotations

import _thread
import csv
import socket
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_until

from sdk.bulk import ConfigError, bulk_notify, load_pbx_config, read_results, read_targets
from sdk.cli import main
from sdk.ratelimit import TokenBucket
from sdk.testing import AMIServer

NOTIFIES = ("sipnotify", "pjsipnotify")


def notifies(server: AMIServer) -> list[Any]:
    return [m for m in server.received if (m.action or "").lower() in NOTIFIES]


def config(**servers: AMIServer | int) -> dict[str, dict[str, Any]]:
    out = {}
    for name, server in servers.items():
        port = server if isinstance(server, int) else server.port
        out[name] = {"url": f"ami://admin@127.0.0.1:{port}"}
    return out


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.fixture
def pbx20() -> Any:
    with AMIServer.as_recorded("20") as server:
        for i in range(1200):
            server.add_sip_peer(f"p{i}", "127.0.0.1", 5070)
        yield server


@pytest.fixture
def pbx22() -> Any:
    with AMIServer.as_recorded("22") as server:
        for i in range(1200):
            server.add_pjsip_endpoint(f"e{i}", [f"sip:e{i}@127.0.0.1:5072"])
        yield server


def windows_rate(times: list[float], width: float = 5.0) -> list[float]:
    """The send rate in every window of ``width`` seconds that lies inside the run."""
    times = sorted(times)
    rates = []
    start = times[0]
    while start + width <= times[-1]:
        count = sum(1 for t in times if start <= t < start + width)
        rates.append(count / width)
        start += 0.5
    return rates


def test_two_thousand_targets_two_versions_one_slow_one_dead(
    pbx20: AMIServer, pbx22: AMIServer
) -> None:
    pbx22.fault("lag", "PJSIPNotify", times=10**6, delay=0.3)  # every answer 0.3 s late
    targets = [("east", f"p{i}") for i in range(950)] + [("east", f"ghost{i}") for i in range(50)]
    targets += [("west", f"e{i}") for i in range(950)] + [("west", f"nobody{i}") for i in range(50)]
    targets += [("north", f"x{i}") for i in range(20)]
    rate = 100.0
    report = bulk_notify(
        targets,
        pbxs=config(east=pbx20, west=pbx22, north=closed_port()),
        rate=rate,
        secrets={"east": "s3cret", "west": "s3cret", "north": "s3cret"},
        progress=False,
    )
    # every target exactly one result
    assert len(report.results) == len(targets) == 2020
    assert Counter((r.pbx, r.target) for r in report.results).most_common(1)[0][1] == 1
    by = Counter((r.pbx, r.status) for r in report.results)
    assert by == {
        ("east", "ok"): 950,
        ("east", "error"): 50,
        ("west", "ok"): 950,
        ("west", "error"): 50,
        ("north", "unreachable"): 20,
    }
    errors = {r.message for r in report.results if r.status == "error"}
    assert errors == {"Could not create address"} | {
        f"Unable to retrieve endpoint nobody{i}" for i in range(50)
    }
    methods = {(r.pbx, r.method) for r in report.results if r.status == "ok"}
    assert methods == {("east", "SIPnotify"), ("west", "PJSIPNotify")}
    # the rate, as each server saw it, over windows of 5 s: within 10 % of the limit,
    # the slow server's included (answers late, but sends on time)
    for server in (pbx20, pbx22):
        times = [m.received_at for m in notifies(server)]
        assert len(times) == 1000
        rates = windows_rate(times)
        assert rates, "the run was shorter than one window"
        assert all(0.9 * rate <= r <= 1.1 * rate for r in rates), (min(rates), max(rates))
    assert len(pbx22.notifies) == 950


def test_timeouts_are_not_retried_unless_asked_and_answers_never_twice(
    pbx20: AMIServer, tmp_path: Path
) -> None:
    pbx20.fault("lag", "SIPnotify", times=3, delay=30)  # the first three answers come too late
    results = tmp_path / "results.csv"
    targets = [("east", f"p{i}") for i in range(10)]
    options = {
        "pbxs": config(east=pbx20),
        "secrets": {"east": "s3cret"},
        "progress": False,
        "rate": 200,
    }
    first = bulk_notify(targets, timeout=3, results=results, **options)
    assert Counter(r.status for r in first.results) == {"timeout": 3, "ok": 7}
    assert len(notifies(pbx20)) == 10
    again = bulk_notify(targets, timeout=3, results=results, **options)
    assert again.results == [] and again.skipped == 10  # nothing resent: timeouts may have arrived
    assert len(notifies(pbx20)) == 10
    retried = bulk_notify(targets, timeout=10, results=results, retry_timeouts=True, **options)
    assert Counter(r.status for r in retried.results) == {"ok": 3}
    sent = Counter(m.get("Channel") for m in notifies(pbx20))
    assert sent.most_common(1)[0][1] == 2 and sum(sent.values()) == 13  # only the timeouts twice
    rows = read_results(results)
    assert [r.status for r in rows].count("ok") == 10


def test_interrupt_stops_cleanly_and_a_resume_finishes_the_rest(
    pbx20: AMIServer, tmp_path: Path
) -> None:
    results = tmp_path / "results.csv"
    targets = [("east", f"p{i}") for i in range(60)]
    options = {"pbxs": config(east=pbx20), "secrets": {"east": "s3cret"}, "progress": False}
    timer = threading.Thread(  # Ctrl-C, after 8 sends
        target=lambda: (
            wait_until(lambda: len(notifies(pbx20)) >= 8, 60) and _thread.interrupt_main()
        )
    )
    timer.start()
    try:
        report = bulk_notify(targets, results=results, rate=20, **options)
    finally:
        timer.join()
    assert report.interrupted
    done = {r.target for r in report.results}
    assert 0 < len(done) < 60 and all(r.status == "ok" for r in report.results)
    assert {r.target for r in read_results(results)} == done  # written as they came
    assert len(notifies(pbx20)) == len(done)  # no send without its result
    rest = bulk_notify(targets, results=results, rate=200, **options)
    assert not rest.interrupted and rest.skipped == len(done)
    assert {r.target for r in rest.results} == {t for _, t in targets} - done
    assert Counter(m.get("Channel") for m in notifies(pbx20)).most_common(1)[0][1] == 1
    assert len(read_results(results)) == 60


def test_dry_run_validates_everything_and_sends_nothing(pbx20: AMIServer) -> None:
    targets = [
        {"pbx": "east", "target": "p1"},
        {"pbx": "east", "target": "sip:phone@10.0.0.9"},
        {"pbx": "east", "target": "bad\r\nAction: Originate"},
        {"pbx": "east", "target": "p2", "content": "body line"},
    ]
    report = bulk_notify(targets, pbxs=config(east=pbx20), dry_run=True, progress=False)
    statuses = [(r.target, r.status) for r in report.results]
    assert statuses == [
        ("p1", "dry-run"),
        ("sip:phone@10.0.0.9", "dry-run"),
        ("bad\r\nAction: Originate", "invalid"),
        ("p2", "dry-run"),
    ]
    # a body without Content-Type: SIPnotify sends it, PJSIPNotify would drop it
    assert "valid for SIPnotify" in report.results[3].message
    assert (
        "not for PJSIPNotify: variables (Variable) item 1: Content without Content-Type"
        in report.results[3].message
    )
    assert (
        "PJSIPNotify" in report.results[1].message and "SIPnotify" not in report.results[1].message
    )
    assert "CR, LF or NUL" in report.results[2].message
    assert pbx20.received == []  # not even a login


def test_targets_from_csv_and_dataframe_and_per_target_event(
    tmp_path: Path, pbx22: AMIServer
) -> None:
    import pandas

    path = tmp_path / "targets.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pbx", "target", "event", "content"])
        writer.writerow(["west", "e1", "", ""])
        writer.writerow(["west", "sip:e2@127.0.0.1:5072", "talk", ""])
        writer.writerow(
            ["west", "e3", "message-summary", "Messages-Waiting: no\nVoice-Message: 0/0"]
        )
    from_csv = read_targets(path)
    frame = pandas.read_csv(path, dtype=str)
    assert read_targets(frame) == from_csv
    report = bulk_notify(
        path,
        pbxs=config(west=pbx22),
        secrets={"west": "s3cret"},
        content_type="application/simple-message-summary",
        progress=False,
    )
    assert [r.status for r in report.results] == ["ok", "ok", "ok"]
    sent = notifies(pbx22)
    assert sent[1].get("URI") == "sip:e2@127.0.0.1:5072"
    assert sent[1].getall("Variable") == ["Event=talk"]
    assert pbx22.notifies[-1].body == "Messages-Waiting: no\r\nVoice-Message: 0/0"
    frame = report.to_dataframe()
    assert list(frame.columns)[:3] == ["pbx", "target", "status"] and len(frame) == 3


def test_config_refuses_secrets_and_names_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "pbx.yaml"
    path.write_text(
        "pbxs:\n"
        "  east: {url: 'ami://admin@10.0.0.1:5038', secret: hunter2}\n"
        "  west: {url: 'http://x', rate: 20}\n"
        "  south: {url: 'ami://admin@10.0.0.3', rate: -1}\n"
        "  north: {url: 'ami://admin@10.0.0.4', colour: red}\n"
    )
    with pytest.raises(ConfigError) as excinfo:
        load_pbx_config(path)
    text = str(excinfo.value)
    assert "east: secrets never go in this file; set AMI_SECRET_EAST instead" in text
    assert "hunter2" not in text
    assert "west: the url has a scheme that is not ami:// or amis://; a good URL: ami://" in text
    assert "south: rate must be a positive number" in text
    assert "north: unknown keys colour" in text
    with pytest.raises(ConfigError, match="not in the config: mars"):
        bulk_notify(
            [("mars", "p1")],
            pbxs={"east": {"url": "ami://a@127.0.0.1:1"}},
            dry_run=True,
            progress=False,
        )


def test_secret_from_the_environment_per_pbx(
    pbx20: AMIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMI_SECRET_EAST_1", "s3cret")
    monkeypatch.delenv("AMI_SECRET", raising=False)
    report = bulk_notify([("east-1", "p1")], pbxs=config(**{"east-1": pbx20}), progress=False)
    assert [r.status for r in report.results] == ["ok"]


def test_ami_notify_command(
    pbx20: AMIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    pbx_yaml = tmp_path / "pbx.yaml"
    pbx_yaml.write_text(f"east:\n  url: ami://admin@127.0.0.1:{pbx20.port}\n  rate: 200\n")
    targets = tmp_path / "targets.csv"
    targets.write_text("pbx,target\neast,p1\neast,p2\neast,ghost\n")
    results = tmp_path / "done.csv"
    argv = ["notify", "--pbx-config", str(pbx_yaml), "--csv", str(targets), "--event", "check-sync"]
    code = main([*argv, "--results", str(results), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1  # one target failed
    assert "ghost" in out and "Could not create address" in out and "2 ok" in out
    assert len(read_results(results)) == 3
    code = main([*argv, "--results", str(results), "--no-progress", "--json"])
    assert code == 0  # nothing left to do
    assert '"skipped": 3' in capsys.readouterr().out
    assert (
        main([*argv, "--dry-run", "--no-progress"]) == 0
    )  # ghost is a valid name: only a run can tell
    assert len(notifies(pbx20)) == 3


def test_token_bucket_spaces_acquisitions() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(20, clock=lambda: now[0], sleep=sleep)
    for _ in range(101):
        assert bucket.acquire()
    assert now[0] == pytest.approx(5.0)  # 100 intervals of 1/20 s after the first token
    bucket.stop()
    assert not bucket.acquire()
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_progress_bar_counts_every_result(
    pbx20: AMIServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import tqdm

    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)  # no monitor thread to outlive the test
    report = bulk_notify(
        [("east", "p1"), ("east", "p2"), ("east", "ghost")],
        pbxs=config(east=pbx20),
        secrets={"east": "s3cret"},
        rate=200,
    )
    err = capsys.readouterr().err
    assert "NOTIFY" in err and "3/3" in err and "error=1" in err and "ok=2" in err
    assert str(report) == "3 results: 1 error, 2 ok"


def test_a_pbx_that_dies_mid_run_leaves_the_others_unharmed(
    pbx20: AMIServer, pbx22: AMIServer
) -> None:
    targets = [("east", f"p{i}") for i in range(60)] + [("west", f"e{i}") for i in range(60)]
    killer = threading.Thread(  # west goes down for good, 30 sends in
        target=lambda: wait_until(lambda: len(notifies(pbx22)) >= 30, 60) and pbx22.stop()
    )
    killer.start()
    try:
        report = bulk_notify(
            targets,
            pbxs=config(east=pbx20, west=pbx22),
            secrets={"east": "s3cret", "west": "s3cret"},
            rate=50,
            timeout=3,  # east answers in milliseconds; west's last send waits this long
            progress=False,
        )
    finally:
        killer.join()
    assert Counter((r.pbx, r.target) for r in report.results).most_common(1)[0][1] == 1
    assert len(report.results) == 120
    east = Counter(r.status for r in report.results if r.pbx == "east")
    west = Counter(r.status for r in report.results if r.pbx == "west")
    assert east == {"ok": 60}
    assert 0 < west["ok"] < 60 and west["ok"] + west["unknown"] + west["unreachable"] == 60
    assert west["unreachable"] > 0  # what was never sent says so: a later run sends it
    sent = {m.get("Endpoint") for m in notifies(pbx22)}
    unsent = {r.target for r in report.results if r.status == "unreachable"}
    assert not sent & unsent  # "unreachable" was really not sent


def test_body_lines_given_as_a_list_reach_the_phone_as_given(pbx20: AMIServer) -> None:
    """A list of body lines is sent line for line, as send_notify sends it: an empty line
    at the end is a line too."""
    report = bulk_notify(
        [{"pbx": "east", "target": "p1"}],
        pbxs=config(east=pbx20),
        secrets={"east": "s3cret"},
        event="message-summary",
        content=["Messages-Waiting: yes", ""],
        content_type="application/simple-message-summary",
        progress=False,
    )
    assert [r.status for r in report.results] == ["ok"]
    [sent] = notifies(pbx20)
    assert sent.getall("Variable") == [
        "Event=message-summary",
        "Content-Type=application/simple-message-summary",
        "Content=Messages-Waiting: yes",
        "Content=",
    ]
