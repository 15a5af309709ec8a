"""Body lines are split only where the user split them: at ``\\n`` and ``\\r\\n``.

``str.splitlines`` also splits at ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and
U+2029: a body holding one of them would reach the phone as more lines than were written.
Each entry point that takes a body as one string is driven here: ``send_notify``,
``bulk_notify`` (argument and CSV column), ``ami notify --content``, and the forms.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sdk import Session, ValidationError
from sdk.actions import SIPnotify
from sdk.bulk import bulk_notify
from sdk.cli import main
from sdk.notify import send_notify
from sdk.testing import AMIServer
from sdk.widgets import ActionForm

NOT_LINE_ENDS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
ONE_LINE = "one" + "".join(f"{c}x" for c in NOT_LINE_ENDS)  # a single body line
TEXT = f"{ONE_LINE}\r\nsecond\nthird\n"  # three lines, as written
LINES = [ONE_LINE, "second", "third"]


def body(pbx: AMIServer) -> list[str]:
    return pbx.notifies[-1].body.split("\r\n")


@pytest.fixture
def pbx() -> AMIServer:
    with AMIServer.as_recorded("20") as server:
        yield server


def test_send_notify_splits_one_string_at_line_ends_only(pbx: AMIServer) -> None:
    with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
        send_notify(ami, "phone1", event="x", content=TEXT, check=True)
        assert body(pbx) == LINES
        with pytest.raises(ValidationError, match="CR, LF or NUL"):
            send_notify(ami, "phone1", event="x", content="a\rb")  # a lone CR is no line end


def test_bulk_notify_splits_the_argument_and_the_csv_column_alike(
    pbx: AMIServer, tmp_path: Path
) -> None:
    options = {
        "pbxs": {"east": {"url": pbx.url()}},
        "secrets": {"east": "s3cret"},
        "progress": False,
        "event": "x",
    }
    report = bulk_notify([("east", "phone1")], content=TEXT, **options)
    assert [r.status for r in report.results] == ["ok"]
    assert body(pbx) == LINES
    targets = tmp_path / "targets.csv"
    with targets.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("pbx", "target", "content"), ("east", "phone1", TEXT)])
    report = bulk_notify(targets, **options)
    assert [r.status for r in report.results] == ["ok"]
    assert body(pbx) == LINES


def test_ami_notify_content_is_split_at_line_ends_only(
    pbx: AMIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    config = tmp_path / "pbx.yaml"
    config.write_text(f"east: {{url: '{pbx.url()}'}}\n")
    argv = ["notify", "--pbx-config", str(config), "--target", "east:phone1", "--no-progress"]
    code = main(
        [*argv, "--event", "x", "--content", TEXT, "--content", "fourth"], out=io.StringIO()
    )
    assert code == 0
    assert body(pbx) == [*LINES, "fourth"]


def test_forms_send_each_row_as_one_line(pbx: AMIServer) -> None:
    """A form has one row a body line: no character in it splits it (this held before
    body_lines too; it is here so that it stays so)."""
    with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
        form = ActionForm(SIPnotify, ami)
        form.fill(channel="phone1", variables=[("Event", "x"), ("Content", ONE_LINE)])
        form.editors["variables"].add_row("Content", "second")
        assert form.send() is not None
        form.close()
    assert body(pbx) == [ONE_LINE, "second"]


def test_body_lines() -> None:
    from sdk.notify import body_lines

    assert body_lines(TEXT) == LINES
    assert body_lines("") == [""] and body_lines("\n") == [""]
    assert body_lines("a\n\n") == ["a", ""]  # the empty line the author wrote
    assert body_lines("a\r\r\nb") == ["a\r", "b"]  # a lone CR stays, for validation to refuse
    assert body_lines(["a\nb", ""]) == ["a\nb", ""]  # a list is taken as given
    assert body_lines(None) == []
