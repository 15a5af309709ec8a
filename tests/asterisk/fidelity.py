"""Running one scenario against a real server and the embedded one, and comparing.

The real server is long-lived, so before each scenario it is brought back to a known
state (no channels up, the AstDB families the scenarios use emptied); the embedded server
is a fresh one for each scenario, built from the real server's configuration
(``embedded.py``). The phone (``harness.Phone``) catches the SIP requests of both: the
embedded server sends its NOTIFYs over UDP to the same port.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conversation import Transcript, converse
from embedded import embedded_like
from scenarios import Scenario
from varying import normalize, normalize_sip

if TYPE_CHECKING:
    from harness import Real

FAMILIES = ("probe", "fidelity")  # AstDB families the scenarios write


@dataclass
class Outcome:
    """What one server answered in one scenario, varying values replaced."""

    banner: str
    messages: list[str]
    sip: list[str]
    closed: bool
    timed_out: list[int]

    @classmethod
    def of(cls, transcript: Transcript, sip: list[str]) -> Outcome:
        return cls(
            transcript.banner,
            [normalize(m) for m in transcript.messages],
            [normalize_sip(s) for s in sip],
            transcript.closed,
            transcript.timed_out,
        )


def reset(real: Real, timeout: float = 30.0) -> int:
    """No channels up, the scenarios' AstDB families empty (a real server keeps both).
    Returns how many calls the real server has processed since it started: the embedded
    one starts from there, so that this count, which is server history, agrees."""
    process = real.process
    for family in FAMILIES:
        process.cli(f"database deltree {family}")
    deadline = time.monotonic() + timeout
    hung_up = False
    while True:
        count = process.cli("core show channels count")
        found = re.search(r"(\d+) active channels?\n.*?(\d+) calls? processed", count, re.S)
        if found and found.group(1) == "0":
            if hung_up:  # the device states of what was hung up follow it, through Stasis
                time.sleep(0.5)
            return int(found.group(2))
        if time.monotonic() > deadline:
            raise AssertionError(f"channels still up after {timeout} s:\n{count}")
        process.cli("channel request hangup all")
        hung_up = True
        time.sleep(0.2)


def _phone_requests(real: Real, scenario: Scenario) -> list[str]:
    """The SIP requests of the scenario: those it expects, and any other that comes within
    0.3 s when it sent a NOTIFY action at all."""
    if scenario.sip:
        real.phone.wait(scenario.sip, timeout=10)
    if scenario.notifies:
        return real.phone.quiet(0.3)
    return real.phone.quiet(0)


def run_real(real: Real, scenario: Scenario) -> tuple[Outcome, int]:
    """The real server's answers, and how many calls it had processed before."""
    processed = reset(real)
    real.phone.clear()
    transcript = converse(real.host, real.port, list(scenario.steps), secret=scenario.secret)
    return Outcome.of(transcript, _phone_requests(real, scenario)), processed


def run_embedded(real: Real, scenario: Scenario, processed: int = 0) -> Outcome:
    real.phone.clear()
    with embedded_like(real.config, send_sip=True) as server:
        server.pbx.processed_calls = processed
        transcript = converse(
            server.host, server.port, list(scenario.steps), secret=scenario.secret
        )
        return Outcome.of(transcript, _phone_requests(real, scenario))


def differences(real: Outcome, embedded: Outcome) -> list[str]:
    """Where the two differ, message by message; empty when they agree."""
    out = []
    if real.banner != embedded.banner:
        out.append(f"banner: real {real.banner!r}, embedded {embedded.banner!r}")
    for index in range(max(len(real.messages), len(embedded.messages))):
        mine = real.messages[index] if index < len(real.messages) else None
        theirs = embedded.messages[index] if index < len(embedded.messages) else None
        if mine != theirs:
            out.append(f"message {index + 1}:\n  real:     {mine!r}\n  embedded: {theirs!r}")
    for index in range(max(len(real.sip), len(embedded.sip))):
        mine = real.sip[index] if index < len(real.sip) else None
        theirs = embedded.sip[index] if index < len(embedded.sip) else None
        if mine != theirs:
            out.append(f"SIP request {index + 1}:\n  real:     {mine!r}\n  embedded: {theirs!r}")
    if real.closed != embedded.closed:
        out.append(f"closed at the end: real {real.closed}, embedded {embedded.closed}")
    if real.timed_out != embedded.timed_out:
        out.append(f"steps unanswered: real {real.timed_out}, embedded {embedded.timed_out}")
    return out
