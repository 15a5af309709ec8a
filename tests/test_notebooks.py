"""The notebooks run headless in a real kernel (nbclient), twice in a row with the same
results, and close what they opened; they fail on any cell error."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from sdk.testing import AMIServer

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
CLOSED = "Everything is closed.\n"  # what each notebook's last cell prints once its checks pass

# What differs from one run to the next, masked before two runs are compared.
MASKS = [
    (re.compile(r"\b[0-9a-f]{6}-\d+\b"), "<action-id>"),  # the session's ActionIDs
    (re.compile(r"127\.0\.0\.1:\d{5}\b"), "127.0.0.1:<port>"),  # the embedded servers' ports
    (re.compile(r"(branch|tag)=[\w.-]+"), r"\1=<random>"),  # SIP Via branch, From tag
    (re.compile(r"^(Call-ID|Date): .*$", re.M), r"\1: <varies>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?\b"), "<time>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(\.\d+)?\b"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|it/s)\b"), "<duration>"),
    (re.compile(r"'model_id': '[0-9a-f]+'|\"model_id\": \"[0-9a-f]+\""), "<model-id>"),
]


def execute(name: str, workdir: Path) -> nbformat.NotebookNode:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book,
        timeout=120,  # per cell
        startup_timeout=120,  # the kernel's start (nbclient waits 60 s unless told)
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    return book


def output_texts(output: dict[str, Any]) -> list[str]:
    """An output's text and HTML (a widget's view shows as its text/plain repr)."""
    data: dict[str, Any] = output.get("data", {})
    return [output.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")]


def outputs_text(book: nbformat.NotebookNode) -> str:
    """Every output's text and HTML, in order."""
    return "\n".join(
        text
        for cell in book.cells
        for output in cell.get("outputs", [])
        for text in output_texts(output)
    )


def masked_outputs(book: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """(cell id, output kind, text) of every output, with what varies per run masked."""
    out = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            kind = output.get("name") or output["output_type"]
            text = "\n".join(output_texts(output))
            for pattern, replacement in MASKS:
                text = pattern.sub(replacement, text)
            out.append((cell.id, kind, text))
    return out


def first_difference(a: list[Any], b: list[Any]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"output {i} differs:\n--- first run\n{x}\n--- second run\n{y}"
    return f"{len(a)} outputs the first time, {len(b)} the second"


@pytest.fixture
def run_twice(
    jupyter_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], nbformat.NotebookNode]:
    """Run a notebook twice in one working folder (as a user runs it again), check both runs
    give the same outputs and that neither left a file behind; return the first run."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the kernel's tempfile folder

    def run(name: str) -> nbformat.NotebookNode:
        first = execute(name, workdir)
        second = execute(name, workdir)
        one, two = masked_outputs(first), masked_outputs(second)
        assert one == two, f"{name}: {first_difference(one, two)}"
        assert list(workdir.iterdir()) == [], f"{name} left files in its working folder"
        left = [p.name for p in temp.iterdir() if not p.name.startswith("ipykernel_")]
        assert left == [], f"{name} left files in the temporary folder"
        return first

    return run


def last_code_cell(book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return [cell for cell in book.cells if cell.cell_type == "code"][-1]


def check_sip_notify(book: nbformat.NotebookNode, text: str) -> None:
    assert "Notify Sent" in text  # the plain-code send, shown as a response table
    assert "NOTIFY sip:127.0.0.1:5070 SIP/2.0" in text
    assert "Event: check-sync" in text
    assert "channel (Channel): must not contain CR, LF or NUL" in text
    views = [
        o
        for c in book.cells
        for o in c.get("outputs", [])
        if "data" in o
        if "application/vnd.jupyter.widget-view+json" in o["data"]
    ]
    assert len(views) == 2  # the connection panel and the form


def check_explore(book: nbformat.NotebookNode, text: str) -> None:
    assert "Event Sent" in text
    assert "NotebookHello" in text and "02-explore-actions" in text


def check_bulk(book: nbformat.NotebookNode, text: str) -> None:
    assert "62 results: 62 dry-run" in text
    assert "62 results: 2 error, 60 ok" in text
    assert "Could not create address" in text and "Unable to retrieve endpoint lobby" in text
    assert "0 results: nothing to do; 62 already done" in text
    assert "east received 30 NOTIFYs, west 30" in text
    assert "bulk-results.csv holds 62 results" in text


def check_voicemail_lamp(book: nbformat.NotebookNode, text: str) -> None:
    text = text.replace("\r\n", "\n")  # SIP lines end with CRLF
    assert "Asterisk 20.20.1: SIPnotify" in text and "Asterisk 22.10.1: PJSIPNotify" in text
    assert "Asterisk 20: Notify Sent" in text and "Asterisk 22: NOTIFY sent" in text
    lamp_on = (
        "Event: message-summary\n"
        "Content-Type: application/simple-message-summary\n"
        "Content-Length: 90\n\n"
        "Messages-Waiting: yes\n"
        "Message-Account: sip:asterisk@127.0.0.1\n"
        "Voice-Message: 2/0 (0/0)\n"
    )
    assert lamp_on in text  # chan_sip: Content-Type right after Event
    assert "NOTIFY sip:127.0.0.1:5070 SIP/2.0" in text
    assert "NOTIFY sip:phone1@127.0.0.1:5072 SIP/2.0" in text  # res_pjsip
    assert "Content-Type: application/simple-message-summary\nContent-Length:    90" in text
    lamp_off = "Messages-Waiting: no\nMessage-Account: sip:asterisk@127.0.0.1\n"
    assert text.count(lamp_off + "Voice-Message: 0/2 (0/0)") == 2  # both flavours
    assert lamp_off + "Voice-Message: 0/0 (0/0)" in text  # pjsip_notify.conf's clear-mwi


CHECKS: dict[str, Callable[[nbformat.NotebookNode, str], None]] = {
    "01-sip-notify.ipynb": check_sip_notify,
    "02-explore-actions.ipynb": check_explore,
    "03-bulk-notify.ipynb": check_bulk,
    "04-voicemail-lamp.ipynb": check_voicemail_lamp,
}


def test_every_notebook_is_checked_and_listed_with_its_install_line() -> None:
    assert sorted(CHECKS) == NAMES
    readme = (NOTEBOOKS / "README.md").read_text()
    for name in NAMES:
        [entry] = [p for p in readme.split("\n- ") if p.startswith(f"`{name}`")]
        assert re.search(r"Install: `pip install -e '?\.", entry), f"{name}: no install line"
    assert "pandas" in next(p for p in readme.split("\n- ") if p.startswith("`03-"))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in book.metadata


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_twice_the_same_and_closes_what_it_opened(
    name: str, run_twice: Callable[[str], nbformat.NotebookNode]
) -> None:
    book = run_twice(name)
    CHECKS[name](book, outputs_text(book))
    # the last cell raises unless the sessions, servers and widgets were closed before it
    outputs = last_code_cell(book).outputs
    assert [(o.get("name"), o.get("text")) for o in outputs] == [("stdout", CLOSED)]


def test_sip_notify_notebook_uses_ami_url(
    jupyter_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = secrets.token_urlsafe(12)
    with AMIServer() as pbx:
        pbx.add_user("ops", secret)
        pbx.add_sip_peer("desk7", "127.0.0.1", 5077)
        monkeypatch.setenv("AMI_URL", f"ami://ops@{pbx.host}:{pbx.port}")
        monkeypatch.setenv("AMI_SECRET", secret)
        monkeypatch.setenv("AMI_DEMO_CHANNEL", "desk7")
        book = execute("01-sip-notify.ipynb", tmp_path)
        sent = [m for m in pbx.received if m.action == "SIPnotify"]
        assert [(m.get("Channel"), m.getall("Variable")) for m in sent] == [
            ("desk7", ["Event=check-sync"])
        ]
        assert pbx.notifies[0].address == ("127.0.0.1", 5077)
        assert pbx.received[-1].action == "Logoff"  # the last cells logged off
    # nbclient keeps the widget state the way JupyterLab saves it: no secret in it
    saved = nbformat.writes(book)
    assert json.loads(saved)["metadata"]["widgets"]
    assert secret not in saved
    text = outputs_text(book)
    assert "Sent by your Asterisk" in text
    assert last_code_cell(book).outputs[0]["text"] == CLOSED
