"""Bad files give exit 2 and one ``ami:`` line (which file, which line, what is wrong), never
a traceback: a PBX config YAML cannot read or that holds a ``!!python`` tag, a targets CSV
that is not UTF-8 (unless ``--encoding`` says what it is), a results file that is not one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk.bulk import ConfigError, bulk_notify, read_targets
from sdk.cli import main
from sdk.testing import AMIServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pbx(monkeypatch: pytest.MonkeyPatch) -> Iterator[AMIServer]:
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    with AMIServer.as_recorded("20") as server:
        server.add_sip_peer("phone3", "127.0.0.1", 5070)
        yield server


@pytest.fixture
def config(tmp_path: Path, pbx: AMIServer) -> Path:
    path = tmp_path / "pbx.yaml"
    path.write_text(f"east:\n  url: {pbx.url()}\n  rate: 200\n", encoding="utf-8")
    return path


def notify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["notify", "--no-progress", *argv])
    return code, capsys.readouterr().err.splitlines()


def test_a_pbx_config_yaml_cannot_read(
    tmp_path: Path, pbx: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    cases = {
        "syntax": (f"east:\n  url: {pbx.url()}\n  rate: [20\n", "line 4", "expected ',' or ']'"),
        "python tag": (
            f"east:\n  url: {pbx.url()}\n  rate: !!python/object/apply:os.system ['touch {tmp_path}/ran']\n",
            "line 3",
            "!!python",
        ),
        "latin-1": ("east:\n  url: ami://caf\xe9@h:1\n".encode("latin-1"), "line 2", "not UTF-8"),
    }
    for name, (content, line, problem) in cases.items():
        if isinstance(content, bytes):
            bad.write_bytes(content)
        else:
            bad.write_text(content, encoding="utf-8")
        code, err = notify(capsys, "--pbx-config", str(bad), "--target", "east:phone1")
        assert code == 2, name
        assert len(err) == 1 and err[0].startswith(f"ami: {bad}, {line}"), (name, err)
        assert problem in err[0], (name, err)
    assert not (tmp_path / "ran").exists()
    assert pbx.received == []


def test_a_targets_csv_that_is_not_utf8_unless_its_encoding_is_given(
    tmp_path: Path, pbx: AMIServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_bytes(
        "pbx,target,content\r\neast,phone3,\r\neast,phone1,Caf\xe9\r\n".encode("cp1252")
    )
    code, err = notify(capsys, "--pbx-config", str(config), "--csv", str(targets))
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"ami: {targets}, line 3: not UTF-8 text (byte 0xe9)")
    assert err[0].endswith("; give the file's encoding with --encoding")
    assert "bulk_notify" not in err[0] and "encoding=" not in err[0]  # CLI words only
    assert pbx.received == []
    argv = ["--pbx-config", str(config), "--csv", str(targets), "--content-type", "text/plain"]
    code, _ = notify(capsys, *argv, "--encoding", "cp1252")
    assert code == 0
    assert pbx.notifies[-1].body == "Café"
    assert [t.content for t in read_targets(targets, encoding="cp1252")] == [None, "Café"]
    with pytest.raises(ConfigError, match="line 3: not UTF-8") as excinfo:
        bulk_notify(targets, pbxs=config, dry_run=True, progress=False)
    assert str(excinfo.value).endswith("give the file's encoding with encoding=")
    report = bulk_notify(targets, pbxs=config, encoding="cp1252", dry_run=True, progress=False)
    assert [r.status for r in report.results] == ["dry-run", "dry-run"]
    code, err = notify(capsys, *argv, "--encoding", "no-such-codec")
    assert code == 2 and err == [f"ami: {targets}: unknown encoding 'no-such-codec'"]


def test_a_targets_csv_saved_by_excel(
    tmp_path: Path, pbx: AMIServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel's "CSV UTF-8" starts with a BOM: the first column is still ``pbx``."""
    targets = tmp_path / "targets.csv"
    targets.write_bytes(b"\xef\xbb\xbfpbx,target\r\neast,phone1\r\n")
    code, _ = notify(capsys, "--pbx-config", str(config), "--csv", str(targets))
    assert code == 0 and len(pbx.notifies) == 1


def test_a_results_file_that_is_not_one(
    tmp_path: Path, pbx: AMIServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "done.csv"
    argv = ["--pbx-config", str(config), "--target", "east:phone1", "--results", str(results)]
    results.write_text("pbx,target\r\neast,phone1\r\n", encoding="utf-8")
    code, err = notify(capsys, *argv)
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"ami: {results}, line 1: not a results file: its header must be")
    results.write_bytes(
        b"pbx,target,status,message,method,action_id,time\r\neast,phone2,error,caf\xe9,,,\r\n"
    )
    code, err = notify(capsys, *argv)
    assert code == 2 and err[0].startswith(f"ami: {results}, line 2: not UTF-8 text")
    assert len(err) == 1
    assert pbx.received == []


@pytest.mark.parametrize("kind", ["yaml", "csv"])
def test_bad_files_through_the_command(tmp_path: Path, pbx: AMIServer, kind: str) -> None:
    """``python -m sdk notify``: exit status 2, one line on stderr, no traceback."""
    config = tmp_path / "pbx.yaml"
    targets = tmp_path / "targets.csv"
    if kind == "yaml":
        config.write_text("east: {url: 'ami://admin@127.0.0.1:1'\n", encoding="utf-8")
        targets.write_text("pbx,target\neast,phone1\n", encoding="utf-8")
    else:
        config.write_text(f"east: {{url: '{pbx.url()}'}}\n", encoding="utf-8")
        targets.write_bytes(b"pbx,target\neast,t\xe9l\xe9phone\n")
    result = subprocess.run(
        [sys.executable, "-m", "sdk", "notify", "--pbx-config", str(config), "--csv", str(targets)],
        cwd=ROOT,
        env={**os.environ, "AMI_SECRET": "s3cret"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    path = config if kind == "yaml" else targets
    assert line.startswith(f"ami: {path}, line 2"), line
    assert pbx.received == []
