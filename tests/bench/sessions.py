"""Benchmarks of the SDK alone: pipelined round trips, an event flood, codegen, import time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from timing import Figure, interleaved, one_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class ServerProcess:
    """``server_proc.py`` running; ``ask()`` sends it a command and returns its answer."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server_proc.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the server process did not start")
        self.port = int(json.loads(line)["port"])

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def round_trips(server: ServerProcess, count: int, rounds: int, min_time: float) -> Figure:
    """``count`` SIPnotify submitted at once, then every answer waited for; per action."""
    from sdk import Session
    from sdk.actions import SIPnotify

    with Session("127.0.0.1", server.port, username="admin", secret="s3cret", timeout=120) as ami:

        def batch() -> int:
            pending = [
                ami.submit(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
                for _ in range(count)
            ]
            for item in pending:
                response = ami.wait(item)
                if response.message != "Notify Sent":
                    raise AssertionError(f"unexpected answer: {response!r}")
            return count

        batch()  # warm up: connection, caches

        def run() -> tuple[float, int]:
            server.ask({"forget": True})
            return one_run(batch, min_time)

        return interleaved({"sdk": run}, rounds)["sdk"]


def flood(server: ServerProcess, count: int) -> dict[str, Any]:
    """A session in its own process flooded with ``count`` events; its memory, measured."""
    client = subprocess.Popen(
        [sys.executable, str(HERE / "flood_client.py"), str(server.port), str(count)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert client.stdout is not None
    ready = client.stdout.readline()
    if not ready:
        raise RuntimeError("the flood client did not start")
    flooded = server.ask({"flood": count})["flooded"]
    result = json.loads(client.stdout.readline())
    client.wait(60)
    result["flooded"] = flooded
    return result


def codegen(rounds: int, min_time: float) -> Figure:
    """Load and check every spec, render every module (``python -m codegen`` without the
    writing)."""
    from codegen import ROOT as CODEGEN_ROOT
    from codegen import SPECS_DIR
    from codegen.render import render_all
    from codegen.spec import load_specs

    def batch() -> int:
        specs = load_specs(SPECS_DIR, cite_from=CODEGEN_ROOT)
        files = render_all(specs, package="sdk.actions")
        if len(files) < len(specs):
            raise AssertionError("codegen rendered fewer files than specs")
        return 1

    return interleaved({"codegen": lambda: one_run(batch, min_time)}, rounds)["codegen"]


def cold_import(rounds: int, min_time: float) -> dict[str, Figure]:
    """A fresh interpreter that imports ``sdk``, against one that does nothing; with
    bytecode caches written, as after any install (PYTHONDONTWRITEBYTECODE is unset)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def launcher(code: str) -> Any:
        def batch() -> int:
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
            return 1

        batch()  # writes the caches
        return lambda: one_run(batch, min_time)

    return interleaved(
        {"import sdk": launcher("import sdk"), "python -c pass": launcher("pass")}, rounds
    )
