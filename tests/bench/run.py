"""``make bench``: the SDK against panoramisk, asterisk-ami and pyst2, then the SDK alone,
then round trips against the real Asterisk 20 that ``make test-asterisk`` built.

Prints one Markdown report (the machine, its load, the tables, the goals) to stdout; with
``--out FILE`` writes it there too. ``--quick`` makes smaller runs (a smoke test of the
harness, not figures to quote). Every run checks what it measured: the bytes each library
wrote, the events each one delivered, the answers each action got.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from inputs import EVENT_LINES, SEGMENT, notify_inputs, peer_entries, segments  # noqa: E402
from libraries import RECEIVERS, SERIALIZERS, Collector, SdkReceiver  # noqa: E402
from real import COUNT, measure, with_real_asterisk  # noqa: E402
from sessions import ServerProcess, codegen, cold_import, flood, round_trips  # noqa: E402
from timing import Figure, interleaved, load, one_run  # noqa: E402

OURS = "asterisk-ami-sdk"
VERSIONS = {
    OURS: OURS,
    "panoramisk": "panoramisk",
    "asterisk-ami": "asterisk-ami",
    "pyst2": "pyst2",
}
GOALS = {
    "serialize": "at least as fast as the fastest other library (ratio >= 1.00)",
    "parse": "at least 1.3 times as fast as the fastest other library",
    "typed": "typed PeerEntry objects, two typed attributes read, at least 0.8 times as fast"
    " as the untyped path reading one header",
    "untyped": "a callback reading one header as fast on typed events as on untyped ones"
    " (0.95: the spread of a run)",
    "round trips": "at least 10,000 actions per second",
    "flood": "RSS growth at most 50 MB",
    "real pipelined": "at least half the raw socket's Pings per second (real Asterisk 20)",
    "real sequential": "at least the fastest other library's Pings per second (real Asterisk 20)",
}


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def machine() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {mem}",
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        "- libraries: " + ", ".join(f"{name} {version(dist)}" for name, dist in VERSIONS.items()),
    ]


def command(argv: list[str] | None) -> str:
    """How this run was started, as a reader would type it."""
    args = " ".join(sys.argv[1:] if argv is None else argv)
    if os.environ.get("MAKELEVEL"):  # make sets it for what it runs
        return "make bench"
    return f"python tests/bench/run.py {args}".rstrip()


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def comparison(title: str, unit: str, figures: dict[str, Figure], notes: dict[str, str]) -> list:
    """A table of ``figures``: per operation, and each library's speed as a ratio to the
    fastest (1.00 is the fastest; 0.50 takes twice as long)."""
    fastest = min(f.median for f in figures.values())
    lines = [
        f"### {title}",
        "",
        f"| library | time per {unit} | {unit}s per second | speed vs fastest | runs | spread |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, fig in sorted(figures.items(), key=lambda kv: kv[1].median):
        note = f" ({notes[name]})" if name in notes else ""
        lines.append(
            f"| {name}{note} | {fmt_time(fig.median)} | {1 / fig.median:,.0f} |"
            f" {fastest / fig.median:.2f} | {len(fig.runs)} | {fig.spread:.0%} |"
        )
    others = [f.median for n, f in figures.items() if n != OURS]
    ratio = min(others) / figures[OURS].median
    lines += ["", f"{OURS} is **{ratio:.2f}×** as fast as the fastest other library.", ""]
    return lines


def bench_serialize(rounds: int, min_time: float) -> tuple[dict[str, Figure], float]:
    inputs = notify_inputs(10_000)
    contenders: dict[str, Callable[[], tuple[float, int]]] = {}
    for name, make in SERIALIZERS.items():
        serialize = make()
        wire = serialize(inputs[:1])
        check_wire(name, wire)

        def batch(serialize: Callable = serialize) -> int:
            serialize(inputs)
            return len(inputs)

        contenders[name] = lambda batch=batch: one_run(batch, min_time)
    figures = interleaved(contenders, rounds)
    return figures, min(f.median for n, f in figures.items() if n != OURS) / figures[OURS].median


def check_wire(name: str, wire: bytes) -> None:
    text = bytes(wire).decode()
    expected = [
        "Action: SIPnotify\r\n",
        "Channel: phone0\r\n",
        "Variable: Event=message-summary\r\n",
        "Variable: Content-Type=application/simple-message-summary\r\n",
        "Variable: Content=Voice-Message: 0/0 \\(0/0\\)\r\n"
        if name == OURS
        else "Variable: Content=Voice-Message: 0/0 (0/0)\r\n",
        "ActionID: ",
    ]
    missing = [line for line in expected if line not in text]
    if missing or not text.endswith("\r\n\r\n"):
        raise AssertionError(f"{name} wrote {text!r}; missing {missing}")


def receiving(
    name: str,
    receiver: Any,
    feed: list[bytes],
    count: int,
    last: object,
    min_time: float,
    walk: bool = False,
) -> Callable[[], tuple[float, int]]:
    """One run of ``receiver`` (a library's receive path, ``libraries.py``): ``feed`` again
    and again until ``min_time`` has passed, each time checked (every event, the last one
    seen as ``last``; with ``walk``, every header walked); seconds per event, events."""

    def run() -> tuple[float, int]:
        gc.collect()
        spent = 0.0
        events = 0
        while spent < min_time:
            go = receiver.prepare(feed, count)
            start = time.perf_counter()
            got: Collector = go()
            spent += time.perf_counter() - start
            if got.count != count or got.last != last:
                raise AssertionError(f"{name}: {got.count} events, last {got.last!r}")
            # 14 to 16 a event: some keep Event apart, panoramisk adds "content"
            if walk and not (EVENT_LINES - 1) * count <= got.headers <= (EVENT_LINES + 1) * count:
                raise AssertionError(f"{name}: {got.headers} headers in {count} events")
            events += count
        return spent / events, events

    return run


def bench_parse(
    count: int, slow_count: int, rounds: int, min_time: float, *, walk: bool
) -> tuple[dict[str, Figure], float, int]:
    data = peer_entries(count)
    chunks = segments(data)
    short = segments(peer_entries(slow_count))
    contenders: dict[str, Callable[[], tuple[float, int]]] = {}
    receivers = []
    for name, make in RECEIVERS.items():
        receiver = make(walk=walk)
        receivers.append(receiver)
        n = slow_count if name == "pyst2" else count
        feed = short if name == "pyst2" else chunks
        contenders[name] = receiving(name, receiver, feed, n, f"phone{n - 1}", min_time, walk)
    try:
        figures = interleaved(contenders, rounds)
    finally:
        for receiver in receivers:
            receiver.close()
    ours = figures[OURS].median
    return figures, min(f.median for n, f in figures.items() if n != OURS) / ours, len(data)


UNTYPED = "untyped: Event objects, one header read"
ONE_HEADER = "PeerEntry objects, one header read"
TYPED = "PeerEntry objects, two typed attributes read"


def bench_typed(count: int, rounds: int, min_time: float) -> dict[str, Figure]:
    """The SDK alone, interleaved: the same PeerEntry events, through the parser of before
    typed events (every event an ``Event``) to a callback that reads one header
    (``event.get("ObjectName")``: the untyped path); through the session's parser (each
    event a ``PeerEntry``) to the same callback; and to one registered for
    ``events.PeerEntry`` that reads two typed attributes (``ip_port``: an int,
    ``channeltype``: an enum)."""
    chunks = segments(peer_entries(count))
    receivers = {
        UNTYPED: SdkReceiver(untyped=True),
        ONE_HEADER: SdkReceiver(),
        TYPED: SdkReceiver(typed=True),
    }
    last = f"phone{count - 1}"
    expected = {UNTYPED: last, ONE_HEADER: last, TYPED: ("SIP", 5060 + (count - 1) % 100)}
    contenders = {
        name: receiving(name, receiver, chunks, count, expected[name], min_time)
        for name, receiver in receivers.items()
    }
    try:
        return interleaved(contenders, rounds)
    finally:
        for receiver in receivers.values():
            receiver.close()


def bench_real(rounds: int, min_time: float) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The round-trip tables against the real Asterisk 20 (started and stopped here)."""
    figures, missing = with_real_asterisk(lambda host, port: measure(host, port, rounds, min_time))
    title = f"### {COUNT:,} Pings against the real Asterisk 20.20.1 (loopback; chan_sip build)"
    if missing is not None:
        return [title, "", f"Not measured: {missing}", ""], []
    lines = [title, ""]
    goals = []
    for way, reference in (("pipelined", "raw socket"), ("sequential", None)):
        figs = figures[way]
        others = [n for n in figs if n not in (OURS, "raw socket")]
        best = reference or min(others, key=lambda n: figs[n].median)
        how = (
            f"{COUNT:,} written at once, then every answer waited for"
            if way == "pipelined"
            else "send one, wait for its answer, send the next"
        )
        lines += [
            f"{way.capitalize()} ({how}):",
            "",
            f"| client | Pings per second | time per Ping | vs {best} | runs | spread |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, fig in sorted(figs.items(), key=lambda kv: kv[1].median):
            lines.append(
                f"| {name} | {1 / fig.median:,.0f} | {fmt_time(fig.median)} |"
                f" {figs[best].median / fig.median:.2f} | {len(fig.runs)} | {fig.spread:.0%} |"
            )
        ratio = figs[best].median / figs[OURS].median
        lines.append("")
        if way == "pipelined":
            goals.append(("real pipelined", f"{ratio:.2f}× the raw socket", ratio >= 0.5))
        else:
            goals.append(("real sequential", f"{ratio:.2f}× {best}", ratio >= 1.0))
    return lines, goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small, short runs (a smoke test)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per run, at least")
    parser.add_argument(
        "--pyst2-events",
        type=int,
        default=10_000,
        help="PeerEntry events pyst2 parses per run (it reads a byte per call: 100,000 take"
        " it about 40 s; its time is linear in the bytes)",
    )
    parser.add_argument(
        "--only",
        choices=[
            "serialize",
            "parse",
            "typed",
            "round-trips",
            "flood",
            "codegen",
            "import",
            "real",
        ],
        action="append",
        help="run only these (repeatable)",
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    # The session logs its full event queue (every 1000th drop): the records are made, as
    # for any user, and dropped here rather than printed in the middle of the report.
    logger = logging.getLogger("sdk")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    events, flood_events, actions = 100_000, 1_000_000, 10_000
    if args.quick:
        args.rounds, args.min_time = 2, 0.2
        events, flood_events, actions = 10_000, 50_000, 2_000
        args.pyst2_events = min(args.pyst2_events, 1_000)
    only = set(
        args.only
        or ["serialize", "parse", "typed", "round-trips", "flood", "codegen", "import", "real"]
    )

    started = time.time()
    out: list[str] = [
        "## Machine",
        "",
        *machine(),
        f"- load average before: {load()} (1, 5, 15 min)",
        f"- command: `{command(argv)}`",
        f"- each figure: the median of {args.rounds} runs of at least {args.min_time:g} s,"
        " the libraries' runs interleaved",
        "",
    ]
    goals: list[tuple[str, str, bool]] = []

    def emit(lines: list[str]) -> None:
        out.extend(lines)
        print("\n".join(lines), flush=True)

    print("\n".join(out), flush=True)
    if "serialize" in only:
        figures, ratio = bench_serialize(args.rounds, args.min_time)
        emit(
            comparison(
                "Build and serialize SIPnotify (a channel, 3 variables; validated and escaped"
                " by the SDK only)",
                "action",
                figures,
                {},
            )
        )
        goals.append(("serialize", f"{ratio:.2f}× the fastest other", ratio >= 1.0))
    if "parse" in only:
        for walk in (False, True):
            figures, ratio, size = bench_parse(
                events, args.pyst2_events, args.rounds, args.min_time, walk=walk
            )
            what = "walks every header" if walk else "reads one header"
            emit(
                comparison(
                    f"Parse {events:,} PeerEntry events ({EVENT_LINES} lines each, CRLF;"
                    f" {size / 1e6:.1f} MB) fed in {SEGMENT // 1024} KiB reads, to a"
                    f" callback that {what}",
                    "event",
                    figures,
                    {"pyst2": f"the first {args.pyst2_events:,} events"},
                )
            )
            goals.append(("parse", f"{ratio:.2f}× the fastest other ({what})", ratio >= 1.3))
    if "typed" in only:
        figures = bench_typed(events, args.rounds, args.min_time)
        untyped = figures[UNTYPED].median
        ratio = untyped / figures[TYPED].median
        same = untyped / figures[ONE_HEADER].median
        lines = [
            f"### Typed events: {events:,} PeerEntry events to a callback, the SDK alone",
            "",
            "| events, callback | time per event | events per second | vs untyped | runs | spread |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, fig in figures.items():
            lines.append(
                f"| {name} | {fmt_time(fig.median)} | {1 / fig.median:,.0f} |"
                f" {untyped / fig.median:.2f} | {len(fig.runs)} | {fig.spread:.0%} |"
            )
        lines += [
            "",
            f"Two typed attributes: **{ratio:.2f}×** the speed of the untyped path reading one"
            f" header; one header of a typed event: {same:.2f}×.",
            "",
        ]
        emit(lines)
        goals.append(("typed", f"{ratio:.2f}× the untyped path", ratio >= 0.8))
        goals.append(("untyped", f"{same:.2f}× (one header, typed objects)", same >= 0.95))
    if only & {"round-trips", "flood"}:
        with ServerProcess() as server:
            lines = ["### The SDK alone (the embedded server in its own process, on loopback)", ""]
            if "round-trips" in only:
                fig = round_trips(server, actions, args.rounds, args.min_time)
                rate = 1 / fig.median
                lines.append(
                    f"- {actions:,} pipelined SIPnotify round trips: **{rate:,.0f} actions/s**"
                    f" ({fmt_time(fig.median * actions)} per {actions:,}; spread {fig.spread:.0%})"
                )
                goals.append(("round trips", f"{rate:,.0f} actions/s", rate >= 10_000))
            if "flood" in only:
                result = flood(server, flood_events)
                growth = (result["rss_peak"] - result["rss_before"]) / 1e6
                if result["received"] != flood_events:
                    raise AssertionError(f"flood: {result}")
                lines.append(
                    f"- {flood_events:,} events flooding a session (event queue bounded at"
                    f" {result['queued']:,}; {result['dropped']:,} dropped, oldest first):"
                    f" RSS {result['rss_before'] / 1e6:.1f} MB before, peak"
                    f" **+{growth:.1f} MB**, +{(result['rss_after'] - result['rss_before']) / 1e6:.1f}"
                    f" MB after, +{(result['rss_drained'] - result['rss_before']) / 1e6:.1f} MB with"
                    f" the queue drained; {flood_events / result['seconds']:,.0f} events/s"
                    f" ({result['peak_from']})"
                )
                goals.append(("flood", f"+{growth:.1f} MB", growth <= 50))
            emit([*lines, ""])
    if "codegen" in only:
        fig = codegen(args.rounds, args.min_time)
        count = len(list((HERE.parents[1] / "specs" / "actions").glob("*.yaml")))
        emit([f"- codegen of all {count} specs (load, check, render): {fmt_time(fig.median)}"])
    if "import" in only:
        figs = cold_import(args.rounds, args.min_time)
        sdk, bare = figs["import sdk"].median, figs["python -c pass"].median
        emit(
            [
                f"- cold `import sdk` in a fresh interpreter: {fmt_time(sdk)}"
                f" (`python -c pass`: {fmt_time(bare)}; the import itself: {fmt_time(sdk - bare)})",
                "",
            ]
        )
    if "real" in only:
        lines, real_goals = bench_real(args.rounds, args.min_time)
        emit(lines)
        goals += real_goals
    lines = ["### Goals", "", "| goal | result | met |", "|---|---|---|"]
    for key, result, met in goals:
        lines.append(f"| {key}: {GOALS[key]} | {result} | {'yes' if met else '**no**'} |")
    lines += [
        "",
        f"Load average after: {load()}; {time.time() - started:.0f} s in all.",
    ]
    emit(lines)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
