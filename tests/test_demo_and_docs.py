"""``make demo`` and the README's example run, and say what they promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_demo(**env: str) -> subprocess.CompletedProcess[str]:
    """``python -m sdk.demo`` (what ``make demo`` runs) with ``env`` as its only AMI_ variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AMI_")} | env
    return subprocess.run(
        [sys.executable, "-m", "sdk.demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_sends_check_sync_and_shows_the_notify() -> None:
    result = run_demo()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Action: SIPnotify\nActionID: demo-1\nChannel: phone1\nVariable: Event=check-sync" in out
    assert "Response: Success\nActionID: demo-1\nMessage: Notify Sent" in out
    assert "NOTIFY sip:127.0.0.1:5070 SIP/2.0" in out
    assert "Subscription-State: terminated\nEvent: check-sync\nContent-Length: 0" in out
    assert "Logged off." in out
    assert "s3cret" not in out


def test_demo_sends_pjsipnotify_to_an_asterisk_22() -> None:
    """With AMI_URL, the demo sends the NOTIFY action the server offers: PJSIPNotify on an
    Asterisk 21 or later, where SIPnotify is gone with chan_sip (issue 16.7)."""
    from sdk.testing import AMIServer

    with AMIServer.as_recorded("22") as pbx:
        result = run_demo(AMI_URL=pbx.url(), AMI_SECRET="s3cret")
        sent = [m for m in pbx.received if m.action == "PJSIPNotify"]
    assert result.returncode == 0, result.stderr
    assert "The server offers PJSIPNotify" in result.stdout
    assert "Action: PJSIPNotify" in result.stdout and "Message: NOTIFY sent" in result.stdout
    assert [m.get("Endpoint") for m in sent] == ["phone1"]
    assert "s3cret" not in result.stdout


OWN_ACTIONS = "Your own actions"  # its example imports the classes its spec generates


def readme_sections() -> dict[str, str]:
    """The README's text by ``## `` heading (the part before the first under "")."""
    text = (ROOT / "README.md").read_text()
    parts = re.split(r"^## (.+)\n", text, flags=re.M)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_readme_python_examples_run() -> None:
    sections = readme_sections()
    assert OWN_ACTIONS in sections
    blocks = [
        block
        for title, text in sections.items()
        if title != OWN_ACTIONS
        for block in code_blocks(text, "python")
    ]
    assert blocks, "the README has a Python example"
    for block in blocks:
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"README example failed:\n{block}\n{result.stderr}"


def test_readme_own_actions_section_runs(tmp_path: Path) -> None:
    """As a user would: write the spec, run the codegen command, run the example."""
    section = readme_sections()[OWN_ACTIONS]
    [spec] = code_blocks(section, "yaml")
    first, _, _ = spec.partition("\n")
    assert first.startswith("# "), "the spec's first line names its file"
    spec_path = tmp_path / first.removeprefix("# ")
    spec_path.parent.mkdir(parents=True)
    spec_path.write_text(spec)

    commands = [
        line.partition("#")[0].split()
        for block in code_blocks(section, "sh")
        for line in block.splitlines()
        if line.strip()
    ]
    commands += [
        text.split() for text in re.findall(r"`(python -m codegen [^`]*)`", section)
    ]  # the --check line of the prose too, once the code is written
    assert [c[:3] for c in commands] == [["python", "-m", "codegen"]] * 2
    for command in commands:
        result = subprocess.run(
            [sys.executable, *command[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    assert (tmp_path / "mypbx" / "actions" / "phonereboot.py").is_file()

    [example] = code_blocks(section, "python")
    result = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"README example failed:\n{example}\n{result.stderr}"
    assert result.stdout.splitlines() == [
        "Reboot queued",
        "No phone lobby",
        "phone1 5",
        "['phone', 'delay']",
    ]
