"""Fidelity, measured: the same scenarios against each real server and the embedded one.

Every recorded fixture's requests and the scenarios written in ``scenarios.py`` run against
the real Asterisk and against an ``AMIServer`` configured from the real one's files; the
answers (and the SIP requests the phone got) must agree message by message, byte for byte,
after the values that vary from run to run (``tests/varying.py``) are replaced.

A difference is fixed in the embedded server, or listed in ``ALLOWED`` with its reason,
which may only be timing (what Asterisk's threads do first varies from run to run) or the
server's history (what a long-lived server has done before). For a listed scenario the
messages are compared without regard to their order (and the lines of a message without
regard to theirs); they must still be the same messages. (A listed scenario may also come
out identical, when the run's timing or history happens to agree: it is then counted as
identical.)

The figure (identical / total per version) is written to ``artifacts/asterisk/fidelity.md``
and stated in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fidelity import Outcome, differences, run_embedded, run_real
from scenarios import Scenario, scenarios

if TYPE_CHECKING:
    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]

ALL = scenarios("20") + scenarios("22")
MINIMUM = 100  # scenarios per version

ORDER_OF_CHANNELS = (
    "history: the real server lists channels in the order of the hash of their names, whose"
    " numbers count the channels it has made since it started"
)
ASYNC_EVENTS = (
    "timing: a Local channel's events come from several of Asterisk's threads, in an order"
    " that varies from run to run"
)
# id -> reason. Only timing and history: each reason starts with one of those words.
ALLOWED: dict[str, str] = {
    "20-originate-async": ASYNC_EVENTS,
    "20-originate-async-unknown-exten": ASYNC_EVENTS,
    "22-originate-async-unknown-exten": ASYNC_EVENTS,
    "20-originate-then-status": ORDER_OF_CHANNELS,
    "22-originate-then-status": ORDER_OF_CHANNELS,
}
RESULTS: dict[str, bool] = {}  # id -> identical


def _unordered(outcome: Outcome) -> tuple[list[str], list[str]]:
    messages = sorted("".join(sorted(m.splitlines(keepends=True))) for m in outcome.messages)
    return messages, sorted(outcome.sip)


@pytest.mark.parametrize("scenario", ALL, ids=[s.id for s in ALL])
def test_real_and_embedded_answer_alike(scenario: Scenario, real_of: Callable[[str], Real]) -> None:
    real = real_of(scenario.version)
    answer, processed = run_real(real, scenario)
    imitation = run_embedded(real, scenario, processed)
    found = differences(answer, imitation)
    RESULTS[scenario.id] = not found
    reason = ALLOWED.get(scenario.id)
    if reason is None or not found:
        assert not found, f"{scenario.id}: the embedded server differs\n" + "\n".join(found)
        return
    assert _unordered(answer) == _unordered(imitation), (
        f"{scenario.id} differs beyond the order of its messages:\n" + "\n".join(found)
    )
    assert answer.closed == imitation.closed and answer.timed_out == imitation.timed_out


def test_allowlist_holds_only_timing_and_history() -> None:
    ids = {s.id for s in ALL}
    assert set(ALLOWED) <= ids, f"ALLOWED names no scenario: {sorted(set(ALLOWED) - ids)}"
    for key, reason in ALLOWED.items():
        assert reason.startswith(("timing: ", "history: ")), f"{key}: {reason}"


def test_the_figure() -> None:
    """At least 100 scenarios per version; the figure, once every scenario ran."""
    lines = ["| version | identical | differing, allowed | total |", "|---|---:|---:|---:|"]
    for version in ("20", "22"):
        mine = [s for s in ALL if s.version == version]
        assert len(mine) >= MINIMUM, f"{len(mine)} scenarios for {version}"
        ran = [RESULTS[s.id] for s in mine if s.id in RESULTS]
        if len(ran) < len(mine):
            return  # a selection of the scenarios ran: there is no figure to write
        allowed = sum(1 for s in mine if s.id in ALLOWED and not RESULTS[s.id])
        lines.append(f"| {version} | {sum(ran)} | {allowed} | {len(mine)} |")
    out = Path(__file__).resolve().parents[2] / "artifacts" / "asterisk" / "fidelity.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
