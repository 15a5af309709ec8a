"""Bulk NOTIFY across a mixed fleet: embedded servers of all six releases in one run.

Each PBX gets the NOTIFY action it offers (by its ListCommands, not its version), and what a
release cannot do is refused before sending, target by target, each with its own result,
while the rest of that PBX's targets go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from sdk.bulk import bulk_notify
from sdk.model.releases import DOCUMENTED
from sdk.testing import AMIServer

URI = "sip:phone1@127.0.0.1:5072"


@pytest.fixture
def fleet() -> Iterator[dict[str, AMIServer]]:
    with ExitStack() as stack:
        servers = {v: stack.enter_context(AMIServer.as_recorded(v)) for v in DOCUMENTED}
        servers["18-pjsip"] = stack.enter_context(AMIServer.as_recorded("18", sip="pjsip"))
        yield servers


def test_one_run_over_every_release_picks_the_action_and_refuses_per_target(
    fleet: dict[str, AMIServer],
) -> None:
    pbxs = {f"pbx{name}": {"url": server.url()} for name, server in fleet.items()}
    pbxs["pbx21-forced"] = {"url": fleet["21"].url(), "method": "SIPnotify"}  # a stale config
    targets = [(pbx, target) for pbx in pbxs for target in ("phone1", URI, "ghost")]
    report = bulk_notify(
        targets, pbxs=pbxs, secrets=dict.fromkeys(pbxs, "s3cret"), progress=False, timeout=10
    )
    results = {(r.pbx, r.target): r for r in report.results}
    assert len(report.results) == len(targets) == len(results)  # one result each
    for name in ("16", "18", "20"):  # chan_sip: SIPnotify; a URI is beyond it
        assert results[(f"pbx{name}", "phone1")].status == "ok"
        assert results[(f"pbx{name}", "phone1")].method == "SIPnotify"
        uri = results[(f"pbx{name}", URI)]
        assert (uri.status, uri.method) == ("invalid", "SIPnotify")
        assert "URIs need PJSIPNotify" in uri.message
        assert results[(f"pbx{name}", "ghost")].status == "error"  # Asterisk's answer
    for name in ("18-pjsip", "21", "22", "23"):  # res_pjsip: PJSIPNotify, URIs too
        for target in ("phone1", URI):
            assert results[(f"pbx{name}", target)].status == "ok", (name, target)
            assert results[(f"pbx{name}", target)].method == "PJSIPNotify"
        assert results[(f"pbx{name}", "ghost")].status == "error"
    for target in ("phone1", "ghost"):  # 21 has no SIPnotify: each target says so
        forced = results[("pbx21-forced", target)]
        assert forced.status == "invalid", target
        assert "Asterisk 21 has no SIPnotify" in forced.message
        assert "use PJSIPNotify instead" in forced.message
    assert results[("pbx21-forced", URI)].status == "invalid"  # a URI: refused as ever
    sent = {name: [m.action for m in s.received if "notify" in (m.action or "").lower()]
            for name, s in fleet.items()}  # fmt: skip
    for name in ("16", "18", "20"):  # phone1 and ghost: what was refused was not sent
        assert sent[name] == ["SIPnotify", "SIPnotify"], name
    for name in ("18-pjsip", "22", "23"):
        assert sent[name] == ["PJSIPNotify"] * 3, name
    assert sent["21"] == ["PJSIPNotify"] * 3  # and not one SIPnotify of the stale config
