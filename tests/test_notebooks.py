"""The notebooks run headless in a real kernel (nbclient) and fail on any cell error."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from sdk.testing import AMIServer

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


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


def outputs_text(book: nbformat.NotebookNode) -> str:
    """Every output's text and HTML, in order."""
    parts: list[str] = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data: dict[str, Any] = output.get("data", {})
            parts.append(data.get("text/plain", ""))
            parts.append(data.get("text/html", ""))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "name", ["01-sip-notify.ipynb", "02-explore-actions.ipynb", "03-bulk-notify.ipynb"]
)
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in book.metadata


def test_sip_notify_notebook_runs_against_the_embedded_server(jupyter_env: Path) -> None:
    book = execute("01-sip-notify.ipynb", jupyter_env)
    text = outputs_text(book)
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


def test_sip_notify_notebook_uses_ami_url(
    jupyter_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = secrets.token_urlsafe(12)
    with AMIServer() as pbx:
        pbx.add_user("ops", secret)
        pbx.add_sip_peer("desk7", "127.0.0.1", 5077)
        monkeypatch.setenv("AMI_URL", f"ami://ops@{pbx.host}:{pbx.port}")
        monkeypatch.setenv("AMI_SECRET", secret)
        monkeypatch.setenv("AMI_DEMO_CHANNEL", "desk7")
        book = execute("01-sip-notify.ipynb", jupyter_env)
        sent = [m for m in pbx.received if m.action == "SIPnotify"]
        assert [(m.get("Channel"), m.getall("Variable")) for m in sent] == [
            ("desk7", ["Event=check-sync"])
        ]
        assert pbx.notifies[0].address == ("127.0.0.1", 5077)
    # nbclient keeps the widget state the way JupyterLab saves it: no secret in it
    saved = nbformat.writes(book)
    assert json.loads(saved)["metadata"]["widgets"]
    assert secret not in saved
    assert "Sent by your Asterisk" in outputs_text(book)


def test_explore_notebook_shows_the_user_event(jupyter_env: Path) -> None:
    book = execute("02-explore-actions.ipynb", jupyter_env)
    text = outputs_text(book)
    assert "Event Sent" in text
    assert "NotebookHello" in text and "02-explore-actions" in text


def test_bulk_notify_notebook_runs_against_two_embedded_servers(jupyter_env: Path) -> None:
    book = execute("03-bulk-notify.ipynb", jupyter_env)
    text = outputs_text(book)
    assert "62 results: 62 dry-run" in text
    assert "62 results: 2 error, 60 ok" in text
    assert "Could not create address" in text and "Unable to retrieve endpoint lobby" in text
    assert "0 results: nothing to do; 62 already done" in text
    assert "east received 30 NOTIFYs, west 30" in text
    assert (jupyter_env / "bulk-results.csv").read_text().count("\n") == 63
