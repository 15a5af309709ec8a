"""``make demo`` and the README's example run, and say what they promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_sends_check_sync_and_shows_the_notify() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AMI_URL", "AMI_SECRET")}
    result = subprocess.run(
        [sys.executable, "-m", "sdk.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Action: SIPnotify\nActionID: demo-1\nChannel: phone1\nVariable: Event=check-sync" in out
    assert "Response: Success\nActionID: demo-1\nMessage: Notify Sent" in out
    assert "NOTIFY sip:127.0.0.1:5070 SIP/2.0" in out
    assert "Subscription-State: terminated\nEvent: check-sync\nContent-Length: 0" in out
    assert "Logged off." in out
    assert "s3cret" not in out


def test_readme_python_examples_run() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has a Python example"
    for block in blocks:
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"README example failed:\n{block}\n{result.stderr}"
