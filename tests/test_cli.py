"""The ``ami`` command line: options from the specs, connection, output, exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import wait_until

from sdk import Session
from sdk.actions import UserEvent
from sdk.cli import main
from sdk.testing import AMIServer

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def env(server: AMIServer, monkeypatch: pytest.MonkeyPatch) -> AMIServer:
    monkeypatch.setenv("AMI_URL", f"ami://admin@{server.host}:{server.port}")
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    return server


def test_send_with_options_generated_from_the_spec(env: AMIServer) -> None:
    code, out = run(
        "send",
        "SIPnotify",
        "--channel",
        "phone1",
        "--variable",
        "Event=check-sync",
        "--variable",
        "Content=a,b",
    )
    assert code == 0
    assert "Message: Notify Sent" in out
    sent = env.received[-2]  # before the Logoff
    assert sent.action == "SIPnotify" and sent.getall("Variable") == [
        "Event=check-sync",
        "Content=a\\,b",
    ]
    assert env.notifies[-1].body == "a,b"


def test_connection_options_may_follow_the_action(
    server: AMIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AMI_URL", raising=False)
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    url = f"ami://admin@{server.host}:{server.port}"
    code, out = run("send", "Ping", "--url", url, "--json", "--auth", "plain")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["headers"]["Ping"] == "Pong"
    code, _ = run("send", "--url", url, "Ping")
    assert code == 0
    actions = [m.action for m in server.received]
    assert actions == ["Login", "Ping", "Logoff", "Challenge", "Login", "Ping", "Logoff"]
    assert server.received[0].get("Secret") == "s3cret"  # --auth plain, given after the action


def test_server_error_exits_1_with_the_reason_on_stderr(
    env: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("send", "SIPnotify", "--channel", "nosuch", "--variable", "Event=x", "--json")
    assert code == 1
    assert json.loads(out)["message"] == "Could not create address"
    assert "Could not create address" in capsys.readouterr().err


def test_bad_input_exits_2_and_sends_nothing(
    env: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(env.received)
    code, _ = run(
        "send", "SIPnotify", "--channel", "phone1\r\nAction: Originate", "--variable", "Event=x"
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "channel (Channel): must not contain CR, LF or NUL" in err
    code, _ = run("send", "SIPnotify", "--channel", "phone1", "--variable", "not a pair")
    assert code == 2
    code, _ = run("send", "NoSuchAction")
    err = capsys.readouterr().err
    assert code == 2 and "unknown action" in err
    assert "NoSuchAction" not in err  # not repeated: it may be a secret typed in its place
    assert len(env.received) == before


def test_secret_is_never_taken_from_the_command_line(
    env: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("send", "Ping", "--secret", "s3cret")
    assert code == 2
    assert "--secret" in capsys.readouterr().err
    code, _ = run("send", "Ping", "--url", f"ami://admin:s3cret@{env.host}:{env.port}")
    assert code == 2
    assert "never in the URL" in capsys.readouterr().err


def test_secret_from_a_prompt_that_does_not_echo(
    server: AMIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AMI_SECRET", raising=False)
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", type("Tty", (), {"isatty": lambda self: True})())
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "s3cret")
    code, out = run("send", "Ping", "--url", f"ami://admin@{server.host}:{server.port}")
    assert code == 0 and "Ping: Pong" in out
    assert asked and "s3cret" not in asked[0]


def test_connection_failure_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AMI_SECRET", "x")
    import socket

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    code, _ = run("send", "Ping", "--url", f"ami://admin@127.0.0.1:{port}")
    assert code == 3
    assert "could not connect" in capsys.readouterr().err


def test_wrong_secret_exits_3(env: AMIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    env.auth_fail_delay = 0.01
    monkeypatch.setenv("AMI_SECRET", "wrong")
    code, _ = run("send", "Ping")
    assert code == 3


def test_embedded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        "send",
        "SIPnotify",
        "--embedded",
        "--channel",
        "SIP/phone1",
        "--variable",
        "Event=check-sync",
    )
    assert code == 0 and "Notify Sent" in out
    code, out = run(
        "send",
        "SIPnotify",
        "--embedded",
        "22",
        "--channel",
        "phone1",
        "--variable",
        "Event=check-sync",
    )
    assert code == 2  # refused before sending: the banner says Asterisk 22
    assert "Asterisk 22 has no SIPnotify" in capsys.readouterr().err
    code, out = run("send", "ListCommands", "--embedded", "22", "--json")
    assert code == 0 and "PJSIPNotify" in json.loads(out)["headers"]


def test_list_and_describe() -> None:
    code, out = run("list")
    assert code == 0 and "SIPnotify" in out and "Ping" in out
    code, out = run("list", "sip*", "--json")
    rows = json.loads(out)
    assert rows and all(row["action"].lower().startswith("sip") for row in rows)
    assert {"action", "asterisk", "summary"} <= set(rows[0])
    code, out = run("describe", "sipnotify")
    assert code == 0
    assert "--variable" in out and "--call-id" in out and "Channel" in out
    code, out = run("describe", "Login", "--json")
    fields = {f["header"]: f for f in json.loads(out)["fields"]}
    assert fields["AuthType"]["kind"] == "enum (plain|MD5)"


def test_send_help_lists_the_generated_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("send", "SIPnotify", "--help")
    assert code == 0
    help_text = capsys.readouterr().out
    assert "--channel" in help_text and "--variable" in help_text and "(required)" in help_text


def test_events_streams_until_count(env: AMIServer) -> None:
    out = io.StringIO()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            main(["events", "--json", "--count", "2", "--filter", "User*"], out=out)
        )
    )
    thread.start()
    with Session(env.host, env.port, username="admin", secret="s3cret") as ami:
        # both logged in (the CLI's session too), or its events would be missed
        assert wait_until(lambda: sum(1 for c in env.connections if c.authenticated) == 2, 30)
        for name in ("One", "Two", "Three"):
            ami.send(UserEvent(user_event=name))
    thread.join(30)
    assert result == [0]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["UserEvent"] for e in lines] == ["One", "Two"]


def test_console_script_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sdk", "send", "Ping", "--embedded"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Ping: Pong" in result.stdout
    ami = Path(sys.executable).with_name("ami")
    result = subprocess.run(
        [str(ami), "describe", "Ping"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "Check that the connection is alive" in result.stdout
