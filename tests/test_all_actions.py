"""The 169 generated actions: real types on the curated ones, numbered groups (kind indexed),
the generic action for anything without a spec, and a cheap ``import sdk``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sdk import Action, ValidationError
from sdk.actions import (
    ACTIONS,
    AOCMessage,
    Generic,
    Hangup,
    Originate,
    PJSIPNotify,
    QueueAdd,
    Status,
    UpdateConfig,
)
from sdk.model.fields import Records
from sdk.model.received import Received
from sdk.model.rules import ExactlyOneOf
from sdk.wire.message import Headers, Message


def messages(excinfo: pytest.ExceptionInfo[ValidationError]) -> list[tuple]:
    return [(p.field, p.header, p.index, p.message) for p in excinfo.value.errors]


def test_every_action_builds_and_serializes_with_its_required_fields() -> None:
    for name in ACTIONS:
        cls = ACTIONS[name]
        values = {}
        # the fields a rule across fields asks for (one of each exactly_one_of group) count too
        chosen = {rule.fields[0] for rule in cls.RULES if isinstance(rule, ExactlyOneOf)}
        for attribute, info in cls.fields():
            if info.required or info.min_items or attribute in chosen:
                values[attribute] = {
                    "string": "x",
                    "integer": 1,
                    "boolean": True,
                    "enum": info.choices[0] if info.choices else "",
                    "variables": {"A": "1"},
                    "headers": {"A": "1"},
                    "indexed": [{info.members[0][0]: 1}] if info.members else [],
                }[info.kind]
        action = cls(**values)
        wire = action.to_bytes(action_id="t-1")
        assert wire.startswith(f"Action: {name}\r\nActionID: t-1\r\n".encode())
        assert wire.endswith(b"\r\n\r\n") and wire.count(b"\r\n\r\n") == 1
        assert cls.SUMMARY and cls.__doc__.startswith(cls.SUMMARY.split()[0])
        if any(info.required for _, info in cls.fields()):
            with pytest.raises(ValidationError):
                cls()


def test_curated_specs_have_real_types() -> None:
    originate = Originate(
        channel="PJSIP/100",
        exten="200",
        context="default",
        priority="1",
        timeout="20000",
        async_="yes",
        early_media=False,
        variables={"CALLERID(name)": "Ops, night shift"},
    )
    assert originate.timeout == 20000 and originate.async_ is True
    assert originate.to_bytes(action_id="o") == (
        b"Action: Originate\r\nActionID: o\r\nChannel: PJSIP/100\r\nExten: 200\r\n"
        b"Context: default\r\nPriority: 1\r\nTimeout: 20000\r\n"
        b"Variable: CALLERID\\(name\\)=Ops\\, night shift\r\nEarlyMedia: false\r\nAsync: true\r\n\r\n"
    )
    with pytest.raises(ValidationError) as excinfo:
        Originate(channel="x", timeout="soon", async_="maybe")
    assert [p.field for p in excinfo.value.errors] == ["timeout", "async_"]
    assert Hangup(channel="/^PJSIP/100-.*$/", cause=16).to_bytes().endswith(b"Cause: 16\r\n\r\n")
    assert QueueAdd(queue="support", interface="PJSIP/100", paused="1", penalty="2").paused is True
    assert b"AllVariables: true" in Status(all_variables=True).to_bytes()
    notify = PJSIPNotify(channel="PJSIP/100-00000001", variables={"Event": "check-sync"})
    assert b"Channel: PJSIP/100-00000001\r\nVariable: Event=check-sync\r\n" in notify.to_bytes()
    assert Status.LIST_COMPLETE == "StatusComplete" and Originate.PRIVILEGE == "originate"


def test_indexed_groups_are_numbered_by_the_sdk() -> None:
    update = UpdateConfig(
        src_filename="pjsip.conf",
        dst_filename="pjsip.conf",
        reload="res_pjsip",
        changes=[
            {"action": "newcat", "cat": "phone9", "options": "inherit=endpoint-tpl"},
            {"Action": "Append", "Cat": "phone9", "Var": "context", "Value": "office"},
        ],
    )
    assert update.to_bytes(action_id="u") == (
        b"Action: UpdateConfig\r\nActionID: u\r\nSrcFilename: pjsip.conf\r\n"
        b"DstFilename: pjsip.conf\r\nReload: res_pjsip\r\n"
        b"Action-000000: NewCat\r\nCat-000000: phone9\r\nOptions-000000: inherit=endpoint-tpl\r\n"
        b"Action-000001: Append\r\nCat-000001: phone9\r\nVar-000001: context\r\n"
        b"Value-000001: office\r\n\r\n"
    )
    assert isinstance(update.changes, Records) and update.changes[1]["var"] == "context"
    aoc = AOCMessage(
        channel="PJSIP/1-1",
        msg_type="D",
        charge_type="Unit",
        units=[{"unit_amount": "3"}, {"unit_amount": 5, "unit_type": 2}],
    )
    assert b"UnitAmount(0): 3\r\nUnitAmount(1): 5\r\nUnitType(1): 2\r\n" in aoc.to_bytes()


def test_indexed_groups_are_checked_like_any_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        UpdateConfig(
            src_filename="a.conf",
            dst_filename="a.conf",
            changes=[
                {"action": "Append", "cat": "x\r\nAction: Originate"},
                {"cat": "y"},
                {"action": "Explode"},
                {"colour": "red"},
                "Action-000009: Delete",
                {},
            ],
        )
    assert messages(excinfo) == [
        (
            "changes",
            "Action-000003",
            3,
            "has no member 'colour' (members: action, cat, var, value, match, line, options)",
        ),
        (
            "changes",
            "Action-000004",
            4,
            "must be a mapping of member to value, not 'Action-000009: Delete'",
        ),
        ("changes", "Cat-000000", 0, "must not contain CR, LF or NUL (found CR at position 1)"),
        ("changes", "Action-000001", 1, "is required in every group"),
        (
            "changes",
            "Action-000002",
            2,
            "must be one of NewCat, RenameCat, DelCat, EmptyCat, Update, Delete, Append, Insert, not 'Explode'",
        ),
        ("changes", "Action-000003", 5, "group has no values"),
    ]
    with pytest.raises(ValidationError) as excinfo:
        AOCMessage(msg_type="D", units=[{"unit_amount": "many"}, {"unit_type": 1}])
    assert [(p.header, p.message) for p in excinfo.value.errors] == [
        ("UnitAmount(0)", "must be an integer, not 'many'"),
        ("UnitAmount(1)", "is required in every group"),
    ]
    # the 1024-byte line and 128-line limits hold for groups too
    with pytest.raises(ValidationError, match="Asterisk reads at most 1024"):
        UpdateConfig(
            src_filename="a", dst_filename="a", changes=[{"action": "Update", "value": "v" * 1010}]
        )
    many = [{"action": "Append", "cat": "c", "var": f"v{i}", "value": "1"} for i in range(32)]
    with pytest.raises(ValidationError, match="Asterisk reads at most 128"):
        UpdateConfig(src_filename="a", dst_filename="a", changes=many)


def test_indexed_groups_read_back_from_a_message_until_the_first_gap() -> None:
    message = Message(
        Headers(
            [
                ("Action", "UpdateConfig"),
                ("SrcFilename", "a.conf"),
                ("action-000000", "DelCat"),
                ("Cat-000000", "old"),
                ("Action-000001", "NewCat"),
                ("Cat-000001", "new"),
                ("Action-000003", "Delete"),  # after a gap: Asterisk never reads it
            ]
        )
    )
    update = Received(UpdateConfig, message)
    assert list(map(dict, update.changes)) == [
        {"action": "DelCat", "cat": "old"},
        {"action": "NewCat", "cat": "new"},
    ]
    aoc = Received(AOCMessage, Message(Headers([("UnitAmount(0)", "7"), ("UnitType(0)", "x")])))
    assert list(map(dict, aoc.units)) == [{"unit_amount": 7, "unit_type": "x"}]


def test_generic_action_for_anything_without_a_spec() -> None:
    action = Generic(
        "MyModuleReload", headers=[("Module", "res_mine"), "Force: yes"], variables={"a,b": 'c"d'}
    )
    assert isinstance(action, Action) and action.ACTION == "MyModuleReload"
    assert action.to_bytes(action_id="g") == (
        b"Action: MyModuleReload\r\nActionID: g\r\nModule: res_mine\r\nForce: yes\r\n"
        b'Variable: a\\,b=c\\"d\r\n\r\n'
    )
    assert Generic("Ping") == Generic("Ping") != Generic("Ping", action_id="1")
    assert "Module: res_mine" in action.describe()


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Generic("Ping\r\nAction: Originate"), "name"),
        (lambda: Generic("Two Words"), "name"),
        (lambda: Generic(""), "name"),
        (lambda: Generic(None), "name"),  # type: ignore[arg-type]
        (lambda: Generic("X" * 1020), "name"),
        (lambda: Generic("X", headers={"Channel": "a\nAction: Hangup"}), "headers"),
        (lambda: Generic("X", headers={"Channel": " leading"}), "headers"),
        (lambda: Generic("X", headers={"Bad Name": "v"}), "headers"),
        (lambda: Generic("X", headers={"Action": "Originate"}), "headers"),
        (lambda: Generic("X", headers={"actionid": "7"}), "headers"),
        (lambda: Generic("X", headers={"Data": "v" * 1020}), "headers"),
        (lambda: Generic("X", variables={"A": "b\x00"}), "variables"),
        (lambda: Generic("X", action_id="1\r\n"), "action_id"),
    ],
)
def test_generic_action_refuses_what_could_smuggle_lines(build, field: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        build()
    assert excinfo.value.errors[0].field == field
    assert "\r" not in str(excinfo.value).split("\n")[0]  # the error's own first line is clean


def test_generic_action_line_count_limit() -> None:
    Generic("X", headers=[(f"H{i}", "v") for i in range(126)])
    with pytest.raises(ValidationError, match="at most 128"):
        Generic("X", headers=[(f"H{i}", "v") for i in range(127)])


def test_import_sdk_loads_a_handful_of_action_modules_at_most() -> None:
    code = (
        "import sys, sdk, sdk.actions\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('sdk.actions.'))\n"
        "print(len(loaded()))\n"
        "from sdk.actions import SIPnotify\n"
        "print(loaded())\n"
        "sdk.actions.ACTIONS['originate']\n"
        "print(loaded(), len(sdk.actions.ACTIONS))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first, second, third = result.stdout.splitlines()
    assert int(first) <= 5
    assert second == "['sdk.actions.sipnotify']"
    assert third == "['sdk.actions.originate', 'sdk.actions.sipnotify'] 169"
