"""What a new user of ``ami`` meets in the first hour (issue 16): help everywhere, names
suggested, required fields said, a server's own list, quiet pipes, URL messages worded for
the command line, the demo on any Asterisk, generic actions.

Each test checks exit statuses and the first line a user sees.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import sdk
from sdk.cli import main
from sdk.testing import AMIServer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Zq8-s3cret-Kw"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


@pytest.fixture
def env(server: AMIServer, monkeypatch: pytest.MonkeyPatch) -> AMIServer:
    monkeypatch.setenv("AMI_URL", server.url())
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    return server


@pytest.fixture
def pbx22(monkeypatch: pytest.MonkeyPatch) -> Iterator[AMIServer]:
    with AMIServer.as_recorded("22") as pbx:
        monkeypatch.setenv("AMI_SECRET", "s3cret")
        monkeypatch.delenv("AMI_URL", raising=False)
        yield pbx


# --- 1. help works everywhere ---------------------------------------------------------------


@pytest.mark.parametrize("word", ["--help", "-h"])
def test_send_help_shows_the_usage_and_every_action(
    word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("send", word)
    out = capsys.readouterr().out
    assert code == 0
    assert first_line(out) == "usage: ami send [options] ACTION [the action's options]"
    assert "SIPnotify" in out and "PJSIPNotify" in out and "QueueStatus" in out
    assert "--generic" in out and "Exit status:" in out


def test_a_bare_send_or_ami_shows_the_usage_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("send")
    err = capsys.readouterr().err
    assert code == 2
    assert first_line(err) == "usage: ami send [options] ACTION [the action's options]"
    assert "PJSIPNotify" in err and "required: action, fields" not in err
    code, _ = run()
    assert code == 2 and first_line(capsys.readouterr().err).startswith("usage: ami ")


def test_send_action_help_shows_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("send", "PJSIPNotify", "--help")
    out = capsys.readouterr().out
    assert code == 0 and first_line(out).startswith("usage: ami send PJSIPNotify")
    assert "--endpoint" in out and "--uri" in out


def test_version_has_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    installed = importlib.metadata.version("asterisk-ami-sdk")
    assert sdk.__version__ == installed
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"ami {installed}\n"


def test_version_outside_an_installed_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not installed: the source tree's pyproject.toml says it (and nothing: 0+unknown)."""
    import tomllib

    import sdk.version as version

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    monkeypatch.setattr(importlib.metadata, "version", missing)
    version.version.cache_clear()
    try:
        assert version.version() == expected
        monkeypatch.setattr(version, "_source_version", lambda: None)
        version.version.cache_clear()
        assert version.version() == "0+unknown"
    finally:
        version.version.cache_clear()


# --- 2. suggestions find what was meant -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("QueueStatuss", "did you mean QueueStatus"),
        ("PJSIPNotfy", "did you mean PJSIPNotify or SIPnotify?"),
        ("Notify", "did you mean SIPnotify or PJSIPNotify?"),
        ("queuestauts", "did you mean QueueStatus?"),
    ],
)
def test_unknown_actions_get_what_was_meant(
    typed: str, first: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("send", "describe"):
        code, _ = run(command, typed)
        line = first_line(capsys.readouterr().err)
        assert code == 2
        assert line.startswith(f"ami: unknown action; {first}"), line


def test_unknown_options_get_what_was_meant(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("send", "SIPnotify", "--chanel", "phone1", "--variable", "Event=x")
    err = capsys.readouterr().err
    assert code == 2
    assert "unrecognized options: --chanel; did you mean --channel?" in err


def test_a_word_in_the_place_of_an_action_is_not_repeated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--secret S Ping`` puts S where the action goes: it must not be shown back."""
    for argv in (["send", "hunter22"], ["send", "--secret", "hunter22", "Ping"]):
        code, _ = run(*argv)
        err = capsys.readouterr().err
        assert code == 2 and "hunter22" not in err, err


# --- 3. what is required says so --------------------------------------------------------------


def test_a_field_that_needs_an_item_is_shown_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("describe", "SIPnotify", "--json")
    fields = {f["header"]: f for f in json.loads(out)["fields"]}
    assert code == 0 and fields["Variable"]["required"] == "yes"
    assert fields["Call-ID"]["required"] == ""
    code, out = run("describe", "SIPnotify")
    row = next(line for line in out.splitlines() if line.startswith("--variable"))
    assert " yes " in row
    run("send", "SIPnotify", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--variables NAME=VALUE (required)" in help_text


def test_the_form_marks_a_field_that_needs_an_item() -> None:
    from sdk.actions import SIPnotify
    from sdk.widgets import ActionForm

    form = ActionForm(SIPnotify)
    try:
        labels = {
            row.children[0].value.split("</b>")[0][3:]: row.children[0].value
            for row in form.fields_box.children
        }
        assert "title='required'" in labels["Variable"]
        assert "title='required'" not in labels["Call-ID"]
    finally:
        form.close()


# --- 4. list and describe use the server when one is named -----------------------------------


def test_list_says_it_shows_the_specs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("list")
    err = capsys.readouterr().err
    assert code == 0 and first_line(out).split() == ["action", "asterisk", "summary"]
    assert first_line(err) == (
        "ami: the actions of the SDK's specs; with --url or --embedded, what that server offers"
    )


def test_list_with_a_server_shows_what_it_offers_and_marks_what_it_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run("list", "--embedded", "22", "*notify")
    err = capsys.readouterr().err
    assert code == 0
    assert first_line(out).split() == ["action", "asterisk", "summary", "server"]
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert rows["PJSIPNotify"][-1] == "offers" and rows["SIPnotify"][-1] == "lacks"
    assert first_line(err).startswith("ami: what the embedded Asterisk 22 offers")
    code, out = run("list", "--embedded", "22", "--json")
    marks = {row["action"]: row["server"] for row in json.loads(out)}
    assert marks["PJSIPShowEndpoints"] == "offers" and marks["SIPpeers"] == "lacks"


def test_list_shows_a_server_action_that_no_spec_has(
    pbx22: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pbx22.handle("PhoneReboot", lambda conn, request: conn.ack(request, "Reboot queued"))
    code, out = run("list", "Phone*", "--url", pbx22.url(), "--json")
    assert code == 0
    assert json.loads(out) == [
        {"action": "PhoneReboot", "asterisk": "(no spec)", "summary": "PhoneReboot",
         "server": "offers"},
    ]  # fmt: skip
    code, out = run("describe", "phonereboot", "--url", pbx22.url())
    assert code == 0 and first_line(out) == "PhoneReboot: PhoneReboot"
    assert "ami send --generic PhoneReboot" in out
    code, out = run("describe", "SIPnotify", "--url", pbx22.url())
    assert code == 0 and "lacks it (not in its ListCommands answer)" in out


def test_a_pattern_that_matches_nothing_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("list", "NoSuch*")
    assert (code, out) == (1, "")
    assert first_line(capsys.readouterr().err) == (
        "ami: no action matches the pattern (ami list without one shows them all)"
    )
    code, out = run("list", "QueueStatuss")
    assert (code, out) == (1, "")
    assert "did you mean QueueStatus" in capsys.readouterr().err


# --- 5. pipes ---------------------------------------------------------------------------------


def _closed_early(argv: list[str], *, read_a_line: bool, **env: str) -> subprocess.CompletedProcess:
    """Run ``python ARGV`` with its output into a pipe that is closed early: after one line
    (as ``| head -1``; the pipe made small so that the command cannot have written all before
    it is closed) or before anything was read."""
    import fcntl

    read_end, write_end = os.pipe()
    if read_a_line and hasattr(fcntl, "F_SETPIPE_SZ"):
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    else:
        read_a_line = False
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AMI_")} | env
    with subprocess.Popen(
        [sys.executable, *argv],
        cwd=ROOT,
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
    ) as proc:
        os.close(write_end)
        if read_a_line:
            data = b""
            while b"\n" not in data:
                chunk = os.read(read_end, 100)
                assert chunk, "the command wrote no line"
                data += chunk
        os.close(read_end)
        _, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, proc.returncode, "", err)


@pytest.mark.parametrize(
    ("argv", "read_a_line"),
    [
        (["-m", "sdk", "list"], True),
        (["-m", "sdk", "list", "--json"], False),
        (["-m", "sdk", "send", "--help"], False),
        (["-m", "sdk", "describe", "Originate"], False),
        (["-m", "sdk", "send", "SIPpeers", "--embedded"], False),
        (["-m", "sdk.demo"], True),
    ],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(
    argv: list[str], read_a_line: bool
) -> None:
    result = _closed_early(argv, read_a_line=read_a_line)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert "Exception ignored" not in result.stderr


def test_events_closed_early_log_off() -> None:
    """``ami events | head -1``: the next event written ends it, and it logs off first."""
    with AMIServer.as_recorded() as pbx:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMI_")}
        env |= {"AMI_URL": pbx.url(), "AMI_SECRET": "s3cret"}
        read_end, write_end = os.pipe()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sdk", "events", "--json"],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        os.close(write_end)
        os.close(read_end)
        try:
            stop = threading.Event()

            def events() -> None:  # (the server's FullyBooted at login may be enough)
                while not stop.is_set() and proc.poll() is None:
                    pbx.inject("Event: UserEvent\r\nUserEvent: Tick\r\n\r\n")
                    stop.wait(0.2)

            thread = threading.Thread(target=events)
            thread.start()
            _, err = proc.communicate(timeout=120)
            stop.set()
            thread.join(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
        assert proc.returncode == 141, err
        assert "Traceback" not in err
        assert any(m.action == "Logoff" for m in pbx.received)


# --- 6. URLs ---------------------------------------------------------------------------------

GOOD = "a good URL: ami://admin@pbx.example.net:5038 (amis:// for TLS)"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"{SECRET}:5038", "has no scheme"),
        (f"admin@{SECRET}", "has no scheme"),
        (f"ami://admin@{SECRET}:50x8", "has a bad port: ports are 1 to 65535"),
        (f"ami://admin@{SECRET}:0", "has a bad port: ports are 1 to 65535"),
        (f"nothing://admin@{SECRET}", "has a scheme that is not ami:// or amis://"),
        (f"ami://admin@pbx?timeout={SECRET}", "option timeout expects a number of seconds"),
        (f"ami://admin@pbx?tls_cafile={SECRET}", "option tls_cafile needs amis:// (TLS)"),
    ],
)
def test_a_bad_url_is_named_with_a_good_one_and_not_repeated(
    url: str, problem: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AMI_SECRET", raising=False)  # checked before any prompt
    code, _ = run("send", "Ping", "--url", url)
    line = first_line(capsys.readouterr().err)
    assert code == 2
    assert line.startswith(f"ami: --url {problem}") and line.endswith(GOOD), line
    assert SECRET not in line
    monkeypatch.setenv("AMI_URL", url)
    code, _ = run("send", "Ping")
    line = first_line(capsys.readouterr().err)
    assert code == 2 and line.startswith(f"ami: AMI_URL {problem}") and SECRET not in line


def test_cli_messages_name_urls_and_options_not_python(
    pbx22: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """What to do is said in the command line's words: amis://, not tls=True; and an action
    that the banner's version refuses is asked of the server's own list, not left to a
    "call server_actions() first"."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never sends a banner
        port = silent.getsockname()[1]
        code, _ = run("send", "Ping", "--url", f"ami://admin@127.0.0.1:{port}", "--timeout", "0.5")
    err = capsys.readouterr().err
    assert code == 4
    assert first_line(err).endswith("if it is a TLS port (Asterisk's is 5039), use amis://")
    with pytest.raises(sdk.TimeoutError, match="pass tls=True"):  # a script's words
        with socket.create_server(("127.0.0.1", 0)) as silent:
            sdk.Session("127.0.0.1", silent.getsockname()[1], username="u", secret="s", timeout=0.5)
    code, _ = run(
        "send", "SIPnotify", "--channel", "phone1", "--variable", "Event=x", "--url", pbx22.url()
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Asterisk 22 has no SIPnotify" in err and "use PJSIPNotify instead" in err
    assert "server_actions" not in err and "()" not in err
    assert [m.action for m in pbx22.received].count("ListCommands") == 1


def test_a_refused_certificate_is_told_with_the_url_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    with AMIServer.as_recorded(tls=context) as pbx:
        assert pbx.url().startswith("amis://")
        code, _ = run("send", "Ping", "--url", pbx.url())
        err = capsys.readouterr().err
        assert code == 3
        assert first_line(err).endswith(
            "trust its CA with ?tls_cafile=/path/to/ca.pem after the URL"
        )
        assert "SSLContext" not in err
        cafile = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(cafile))
        code, out = run("send", "Ping", "--url", f"{pbx.url()}?tls_cafile={cafile}")
        assert code == 0 and "Ping: Pong" in out  # as the advice said


def test_validation_problems_name_options(
    env: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "send", "SIPnotify", "--channel", "phone1", "--call-id", "a\x00b", "--variable", "Event=x"
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "  - --call-id (Call-ID): must not contain CR, LF or NUL" in err
    code, _ = run("send", "SIPnotify", "--channel", "phone1", "--variable", SECRET)
    err = capsys.readouterr().err
    assert code == 2 and "--variable (Variable) item 0:" in err and SECRET not in err


# --- 7. make demo against any Asterisk: tests/test_demo_and_docs.py ---------------------------


# --- 8. generic actions from the shell -------------------------------------------------------


def test_send_generic_sends_any_action_by_name(pbx22: AMIServer) -> None:
    got: list[tuple[str | None, str | None]] = []

    def reboot(conn, request) -> None:  # type: ignore[no-untyped-def]
        got.append((request.get("Phone"), request.get("Delay")))
        conn.ack(request, "Reboot queued")

    pbx22.handle("PhoneReboot", reboot)
    code, out = run(
        "send", "--generic", "PhoneReboot", "--header", "Phone=phone1", "--header", "Delay: 5",
        "--url", pbx22.url(), "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["message"] == "Reboot queued"
    assert got == [("phone1", "5")]
    code, out = run("send", "--url", pbx22.url(), "--generic", "Ping")
    assert code == 0 and "Ping: Pong" in out


def test_send_generic_checks_as_generic_does(
    pbx22: AMIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pbx22.url()
    bad = [
        (["Two Words"], "Generic", "--generic NAME (Action): '***' is not an action name"),
        (["X", "--header", "Action=Originate"], "X", "--header (Header) item 0: header name"),
        (["X", "--header", "Bad Name=1"], "X", "--header (Header) item 0: header name"),
        (
            ["X", "--header", "Data=a\x00b"],
            "X",
            "--header (Header) item 0: value of 'Data' must not",
        ),
        (["X", "--variable", "noequals"], "X", "--variable (Variable) item 0: '***' is not"),
    ]
    for words, action, problem in bad:
        code, _ = run("send", "--generic", *words, "--url", url)
        err = capsys.readouterr().err
        assert code == 2, words
        lines = err.splitlines()
        assert lines[0] == f"ami: {action}: 1 problem", err
        assert lines[1].startswith(f"  - {problem}"), err
    code, _ = run("send", "--generic", "Login", "--header", f"Secret={SECRET}", "--url", url)
    err = capsys.readouterr().err
    assert code == 2 and "never taken from the command line" in err and SECRET not in err
    code, _ = run("send", "--generic", "--url", url)
    assert code == 2
    assert first_line(capsys.readouterr().err).startswith("ami: --generic needs the action's name")
    assert pbx22.received == []  # nothing was sent, not even a login


def test_the_exit_statuses_are_documented_as_they_are() -> None:
    """The README's list and ``ami --help``'s are the same, and name every status ``main``
    returns."""
    import re

    import sdk.cli as cli

    readme = (ROOT / "README.md").read_text()
    said = readme[readme.index("Exit status: 0 ok") :].split("`python -m sdk`")[0]
    codes = [int(n) for n in re.findall(r"(?:: |; )(\d+) ", " ".join(said.split()))]
    assert codes == [int(n) for n in re.findall(r"(?:: |; )(\d+) ", cli.EXIT_STATUS)]
    returned = {
        cli.EXIT_OK, cli.EXIT_ACTION_ERROR, cli.EXIT_USAGE, cli.EXIT_CONNECTION,
        cli.EXIT_TIMEOUT, cli.EXIT_INTERRUPTED, sdk.pipes.EXIT_PIPE,
    }  # fmt: skip
    assert set(codes) == returned
