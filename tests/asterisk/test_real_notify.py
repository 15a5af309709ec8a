"""SIPnotify (20) and PJSIPNotify (22) against the real servers, caught by the phone.

The values need escaping on the wire (commas, quotes, backslashes, brackets, ``=``,
non-ASCII, empty Content lines): what reaches the phone must be what was asked, header by
header and body line by line. ``send_notify`` picks the action by what each server offers;
``bulk_notify`` works through both servers at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sdk.actions import PJSIPNotify, SIPnotify
from sdk.bulk import bulk_notify
from sdk.notify import notify_method, send_notify

if TYPE_CHECKING:
    from pathlib import Path

    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]

HEADERS = [
    ("X-Comma", "one, two,three"),
    ("X-Quotes", 'say "hello"'),
    ("X-Backslash", r"C:\path\to\file"),
    ("X-Brackets", "(round) [square] {curly}"),
    ("X-Equals", "a=b=c"),
    ("X-Unicode", "café ☃ Ünïcødé"),
    ("X-Mixed", r'a,"b"\c[d](e)=f'),
]
BODY = ["Messages-Waiting: yes", "", 'Note: "q", (p) [b] \\ =', "Ünïcødé, too", ""]


def parse_sip(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """Request line, headers in order, body of a SIP request."""
    head, _, body = text.partition("\r\n\r\n")
    first, *lines = head.split("\r\n")
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return first, headers, body


def sent_notify(real: Real, variables: list[tuple[str, str]]) -> str:
    with real.session() as ami:
        if real.version == "20":
            action: SIPnotify | PJSIPNotify = SIPnotify(channel="phone1", variables=variables)
        else:
            action = PJSIPNotify(endpoint="phone1", variables=variables)
        answer = ami.send(action, check=True)
    assert answer.message == ("Notify Sent" if real.version == "20" else "NOTIFY sent")
    return real.phone.wait(1)[0]


def assert_arrived(
    text: str, headers: list[tuple[str, str]], body: list[str], content_type: str | None
) -> None:
    first, got, payload = parse_sip(text)
    assert first.startswith("NOTIFY sip:")
    names = [name.lower() for name, _ in got]
    for name, value in headers:  # each asked header, once, with its value exactly
        assert names.count(name.lower()) == 1, f"{name}: {got}"
        assert dict((n.lower(), v) for n, v in got)[name.lower()] == value, name
    asked = [n.lower() for n, _ in headers]
    assert [n for n in names if n in asked] == asked  # in the order asked
    if content_type is not None:
        assert dict((n.lower(), v) for n, v in got)["content-type"] == content_type
    assert payload.split("\r\n") == body, repr(payload)  # line by line
    length = dict((n.lower(), v) for n, v in got)["content-length"]
    assert int(length) == len(payload.encode("utf-8"))


def test_values_that_need_escaping_arrive_as_given(real: Real) -> None:
    variables = [("Event", "message-summary"), *HEADERS, ("Content-Type", "text/plain")]
    variables += [("Content", line) for line in BODY]
    text = sent_notify(real, variables)
    assert_arrived(text, [("Event", "message-summary"), *HEADERS], BODY, "text/plain")
    assert dict(parse_sip(text)[1])["Subscription-State"] == "terminated"


def test_a_notify_without_a_body(real: Real) -> None:
    text = sent_notify(real, [("Event", "check-sync"), ("X-Only", "header, with = signs")])
    assert_arrived(text, [("Event", "check-sync"), ("X-Only", "header, with = signs")], [""], None)


def test_send_notify_picks_the_action_each_server_offers(real: Real) -> None:
    with real.session() as ami:
        method = notify_method(ami)
        answer = send_notify(
            ami,
            "phone1",
            event="check-sync",
            content=["line, one", "", "line (three)"],
            content_type="text/plain",
            headers=[("X-Quotes", 'a "b" \\ c')],
            check=True,
        )
    assert method == ("SIPnotify" if real.version == "20" else "PJSIPNotify")
    assert answer.ok
    text = real.phone.wait(1)[0]
    headers = [("Event", "check-sync"), ("X-Quotes", 'a "b" \\ c')]
    assert_arrived(text, headers, ["line, one", "", "line (three)"], "text/plain")


@pytest.mark.parametrize("name", ["PHONE1", "Phone1"])
def test_peer_names_are_case_sensitive(real: Real, name: str) -> None:
    with real.session() as ami:
        answer = send_notify(ami, name, event="check-sync")
    assert not answer.ok
    expected = "Could not create address" if real.version == "20" else f"endpoint {name}"
    assert expected in (answer.message or "")
    assert real.phone.quiet(0.5) == []


def test_bulk_notify_across_both_servers(asterisks: dict[str, Real], tmp_path: Path) -> None:
    for real in asterisks.values():
        real.phone.clear()
    pbxs = {f"ast{v}": {"url": real.url(), "rate": 50} for v, real in asterisks.items()}
    targets = [(p, t) for p in pbxs for t in ("phone1", "phone2", "ghost")]
    results = tmp_path / "done.csv"
    report = bulk_notify(
        targets,
        pbxs=pbxs,
        secrets={name: "s3cret" for name in pbxs},
        event="check-sync",
        results=results,
        progress=False,
    )
    by_target = {(r.pbx, r.target): r for r in report.results}
    for name in pbxs:
        assert by_target[(name, "phone1")].status == "ok"
        assert by_target[(name, "ghost")].status == "error"
    assert by_target[("ast20", "phone2")].status == "error"  # dynamic peer, not registered
    assert by_target[("ast22", "phone2")].status == "ok"  # an AOR without contact: accepted
    assert by_target[("ast20", "phone1")].method == "SIPnotify"
    assert by_target[("ast22", "phone1")].method == "PJSIPNotify"
    for real in asterisks.values():
        got = real.phone.wait(1)
        assert "Event: check-sync" in got[0]
    # a second run with the same results file sends nothing again
    again = bulk_notify(
        targets, pbxs=pbxs, secrets={n: "s3cret" for n in pbxs}, results=results, progress=False
    )
    assert again.results == []
    for real in asterisks.values():
        assert len(real.phone.quiet(0.5)) == 1
