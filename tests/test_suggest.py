"""One rule for what a mistyped name meant (``sdk.model.suggest``), in ``sdk.actions`` lookups and
on the command line alike."""

from __future__ import annotations

import pytest

import sdk.actions
from sdk.actions import ACTIONS
from sdk.model.suggest import did_you_mean, distance, suggest


@pytest.mark.parametrize(
    ("typed", "best"),
    [
        ("QueueStatuss", ["QueueStatus"]),
        ("PJSIPNotfy", ["PJSIPNotify", "SIPnotify"]),
        ("Notify", ["SIPnotify", "PJSIPNotify"]),
        ("sipnotfy", ["SIPnotify"]),
        ("QUEUESTAUTS", ["QueueStatus"]),  # any case; two letters swapped are one edit
    ],
)
def test_action_names_best_first(typed: str, best: list[str]) -> None:
    assert suggest(typed, ACTIONS)[: len(best)] == best


def test_names_that_contain_what_was_typed_come_first() -> None:
    assert suggest("endpoint", ["PJSIPShowEndpoint", "Endpoints", "Endpoin", "Hangup"]) == [
        "Endpoints",  # contains it, closest
        "PJSIPShowEndpoint",  # contains it
        "Endpoin",  # one edit away
    ]
    found = suggest("PJSIPShowEndpoint", ACTIONS)
    assert found[0] == "PJSIPShowEndpoints" and "PJSIPShowEndpoint" not in found  # not itself


def test_option_names() -> None:
    options = ["--channel", "--variable", "--call-id", "--action-id", "--url", "--json"]
    assert suggest("--chanel", options) == ["--channel"]
    assert suggest("--Channel", options) == ["--channel"]
    assert suggest("--colour", options) == []


def test_nothing_close_gives_nothing() -> None:
    assert suggest("Zq8-s3cret-Kw", ACTIONS) == []
    assert suggest("", ACTIONS) == []
    assert did_you_mean("Zz", ACTIONS) == ""
    assert did_you_mean("QueueStatuss", ["QueueStatus"]) == "; did you mean QueueStatus?"
    assert did_you_mean("Notify", ["SIPnotify", "PJSIPNotify"]) == (
        "; did you mean SIPnotify or PJSIPNotify?"
    )


def test_distance() -> None:
    assert distance("kitten", "sitting") == 3
    assert distance("ab", "ba") == 1
    assert distance("", "abc") == 3
    assert distance("same", "same") == 0


def test_registry_lookups_say_what_was_meant() -> None:
    with pytest.raises(KeyError) as excinfo:
        ACTIONS["sipnotfy"]
    assert str(excinfo.value) == "no action 'sipnotfy'; did you mean SIPnotify?"
    assert excinfo.value.args == ("sipnotfy",)
    assert ACTIONS["sipnotify"] is sdk.actions.SIPnotify  # a known name, in any case
    with pytest.raises(
        AttributeError, match=r"no attribute 'PJSIPNotfy'; did you mean PJSIPNotify"
    ):
        sdk.actions.PJSIPNotfy  # noqa: B018
    assert not hasattr(sdk.actions, "QueueStatuss")
    assert getattr(sdk.actions, "QueueStatus").ACTION == "QueueStatus"  # noqa: B009


def test_from_import_says_what_was_meant() -> None:
    """Python turns a module's AttributeError into a bare "cannot import name" for ``from
    ... import``; the registry raises the ImportError itself, with the suggestions."""
    with pytest.raises(
        ImportError, match=r"'QueueStatuss' from 'sdk.actions'; did you mean QueueStatus"
    ):
        from sdk.actions import QueueStatuss  # type: ignore[attr-defined]  # noqa: F401
    namespace: dict[str, object] = {}
    exec("from sdk.actions import Ping, QueueStatus", namespace)  # the good names still import
    assert namespace["Ping"] is sdk.actions.Ping


def test_the_command_line_uses_the_same_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from sdk.cli import main

    for typed in ("QueueStatuss", "PJSIPNotfy", "Notify", "sipnotfy"):
        assert main(["describe", typed]) == 2
        err = capsys.readouterr().err
        assert did_you_mean(typed, ACTIONS) in err
