"""The secret and the MD5 key never show: not in a repr, a str, a log record (DEBUG
included, tracebacks too) or an exception.

Each surface that handles a secret is a function registered with ``@surface``: it drives
that surface (successful and failed logins, timeouts, reconnects...) and hands everything it
can show to ``case.show()`` or ``case.error()``; every log record emitted meanwhile, from any
logger, is captured too. A new surface (the CLI, say) gets its own ``@surface`` function
here, and the same checks apply to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import ssl
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import trustme
from conftest import wait_until

from sdk import AMIError, Session, ValidationError
from sdk.actions import Challenge, Generic, Login, Ping, UserEvent
from sdk.client.memory import MemoryTransport
from sdk.client.session import Reconnect
from sdk.testing import AMIServer

SECRET = "Zq8-s3cret-Kw"
WRONG = "Wr0ng-Guess-Xy"
CHALLENGE = "424242"
KEY = hashlib.md5((CHALLENGE + SECRET).encode()).hexdigest()
WRONG_KEY = hashlib.md5((CHALLENGE + WRONG).encode()).hexdigest()
NEVER_SHOWN = (SECRET, WRONG, KEY, WRONG_KEY)
FAST = Reconnect(initial=0.02, maximum=0.1)


@attrs.define
class Case:
    """What one surface showed; ``pbx`` serves user ``admin`` with ``SECRET``."""

    pbx: AMIServer
    texts: list[str] = attrs.Factory(list)

    def show(self, *objects: Any) -> None:
        for obj in objects:
            self.texts.extend((repr(obj), str(obj)))

    def error(self, exc: BaseException) -> None:
        self.texts.extend((repr(exc), str(exc), "".join(traceback.format_exception(exc))))
        for item in getattr(exc, "errors", []) or []:
            self.show(item)

    def raises(self, kind: type[BaseException], func: Callable[[], Any]) -> None:
        with pytest.raises(kind) as excinfo:
            func()
        self.error(excinfo.value)

    def session(self, **kwargs: Any) -> Session:
        kwargs.setdefault("secret", SECRET)
        kwargs.setdefault("timeout", 2)
        return Session(self.pbx.host, self.pbx.port, username="admin", **kwargs)


SURFACES: dict[str, Callable[[Case], None]] = {}


def surface(func: Callable[[Case], None]) -> Callable[[Case], None]:
    SURFACES[func.__name__] = func
    return func


# --- the session ------------------------------------------------------------------------------


@surface
def session_md5_and_plain_logins(case: Case) -> None:
    for auth in ("md5", "plain"):
        ami = case.session(auth=auth)
        case.show(ami, vars(ami), ami.send(Ping()))
        pending = ami.submit(Ping())
        case.show(pending, pending.action, ami.wait(pending))
        ami.close()
        case.show(ami)


@surface
def session_refused_logins(case: Case) -> None:
    case.pbx.auth_fail_delay = 0.01
    for auth in ("md5", "plain"):
        case.raises(AMIError, lambda a=auth: case.session(secret=WRONG, auth=a))


@surface
def session_login_that_times_out_or_is_cut(case: Case) -> None:
    case.pbx.fault("slow", "Login", delay=1.0)
    case.raises(AMIError, lambda: case.session(timeout=0.2))
    case.pbx.fault("cut", "Login")
    case.raises(AMIError, lambda: case.session(auth="plain"))
    case.pbx.fault("long-line", "Login")
    case.raises(AMIError, lambda: case.session())


@surface
def session_secret_that_cannot_be_sent(case: Case) -> None:
    for bad in (f"{SECRET}\r\nAction: Originate", f"\x0b{SECRET}", SECRET * 80):
        case.raises(ValidationError, lambda b=bad: case.session(secret=b, auth="plain"))


@surface
def session_reconnect_and_its_logs(case: Case) -> None:
    ami = case.session(reconnect=FAST, keepalive=0.05)
    case.pbx.restart()
    # a Ping written before the session saw the drop would fail with OutcomeUnknown: wait
    # for the new connection first (as the restart tests of test_reconnect do)
    assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
    case.show(ami, ami.send(Ping(), timeout=5))
    case.pbx.add_user("admin", "another")  # the next login is refused
    case.pbx.restart()
    assert wait_until(lambda: ami.closed, 5)
    case.raises(AMIError, lambda: ami.send(Ping()))
    case.show(ami)
    ami.close()


@surface
def session_over_tls(case: Case) -> None:
    ca = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_side)
    client_side = ssl.create_default_context()
    ca.configure_trust(client_side)
    with AMIServer(challenge=CHALLENGE, tls=server_side) as pbx:
        pbx.add_user("admin", SECRET)
        with Session(pbx.host, pbx.port, username="admin", secret=SECRET, tls=client_side) as ami:
            case.show(ami, ami.send(Ping()))
        case.raises(
            AMIError, lambda: Session(pbx.host, pbx.port, username="admin", secret=SECRET, tls=True)
        )


@surface
def session_from_url_and_environment(case: Case) -> None:
    url = case.pbx.url()
    os.environ["AMI_SECRET"] = SECRET
    try:
        with Session.from_url(url) as ami:
            case.show(ami)
        case.raises(ValueError, lambda: Session.from_url(f"ami://admin:{SECRET}@127.0.0.1:1"))
        case.raises(AMIError, lambda: Session.from_url("ami://admin@127.0.0.1:1?timeout=0.5"))
    finally:
        del os.environ["AMI_SECRET"]


@surface
def login_actions(case: Case) -> None:
    for action in (
        Login(username="admin", secret=SECRET),
        Login(username="admin", auth_type="MD5", key=KEY, action_id="k1"),
    ):
        case.show(action, action.describe(), action.describe("x"), attrs.evolve(action))
    case.raises(ValidationError, lambda: Login(username="admin", secret=f"{SECRET}\n"))
    case.raises(ValidationError, lambda: Login(username=" admin", key=f"\x00{KEY}"))


@surface
def generic_actions_with_secret_headers(case: Case) -> None:
    """Login by name, and any action given a Secret or Key header by name: shown, described,
    sent and logged at DEBUG, refused, as Login's own fields are."""
    actions = [
        Generic("Login", headers={"Username": "admin", "Secret": SECRET}),
        Generic("login", headers=[("Username", "admin"), ("AuthType", "MD5"), ("key", KEY)]),
        Generic("MyModuleAuth", headers=[f"Secret: {SECRET}", f"KEY={WRONG_KEY}"]),
        UserEvent(user_event="Audit", headers={"Secret": WRONG}),
    ]
    with case.session() as ami:
        for action in actions:
            case.show(action, action.describe(), action.headers, attrs.evolve(action))
            case.show(ami.send(action))
    case.show(case.pbx.received)
    bad = [{"Secret": f"{SECRET}\r\n"}, [f"Secret {SECRET}"], [("Secret", SECRET, KEY)]]
    for headers in bad:
        case.raises(ValidationError, lambda h=headers: Generic("Login", headers=h))
        case.raises(ValidationError, lambda h=headers: UserEvent(user_event="A", headers=h))


@surface
def session_in_memory(case: Case) -> None:
    """The in-memory transport (``sdk.client.memory``): what it read and holds, and the
    session's own parts (``vars`` of the session shows its options, strategy, router...)."""
    memory = MemoryTransport(users={"admin": SECRET}, challenge=CHALLENGE)
    for auth in ("md5", "plain"):
        with Session("memory", username="admin", secret=SECRET, auth=auth, transport=memory) as ami:
            case.show(ami, vars(ami), ami.options, ami.server, memory.connections)
            case.show(*[vars(c) for c in memory.connections])
        case.raises(
            AMIError,
            lambda a=auth: Session(
                "memory", username="admin", secret=WRONG, auth=a, transport=memory
            ),
        )
    case.show(memory, vars(memory), memory.received)
    for request in memory.received:
        case.texts.append(request._repr_html_())


# --- the embedded server ----------------------------------------------------------------------


@surface
def embedded_server(case: Case) -> None:
    pbx = case.pbx
    pbx.auth_fail_delay = 0.01
    with case.session() as ami:
        case.show(pbx.connections, [vars(c) for c in pbx.connections])
        ami.send(Challenge(auth_type="MD5"))
    with case.session(auth="plain"):
        pass
    case.raises(AMIError, lambda: case.session(secret=WRONG))
    logins = [m for m in pbx.received if m.action == "Login"]
    assert {m.get("Key") for m in logins} >= {KEY, WRONG_KEY}  # they did reach the server
    assert any(m.get("Secret") == SECRET for m in logins)
    case.show(pbx, pbx.received, pbx.users, list(pbx.users.values()))
    for message in logins:
        case.show(message, message.headers, message.lines and "lines are raw: not shown")


# --- the command line -------------------------------------------------------------------------


def run_cli(case: Case, *argv: str) -> int:
    """``ami ARGV``, its stdout and stderr shown to the case."""
    import contextlib
    import io

    from sdk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    case.show(out.getvalue(), err.getvalue())
    return code


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """``os.environ`` with ``values`` set (None: unset), restored afterwards."""
    saved = dict(os.environ)
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def terminal(case: Case) -> Iterator[list[str]]:
    """stdin is a terminal and getpass answers SECRET; every prompt is shown to the case
    (and listed in what this yields)."""
    import getpass
    import sys

    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        case.show(prompt)
        return SECRET

    saved = sys.stdin, getpass.getpass
    sys.stdin = type("Tty", (), {"isatty": lambda self: True})()  # type: ignore[assignment]
    getpass.getpass = ask  # type: ignore[assignment]
    try:
        yield prompts
    finally:
        sys.stdin, getpass.getpass = saved  # type: ignore[assignment]


@surface
def command_line(case: Case) -> None:
    """``ami`` with the secret from AMI_SECRET and from a prompt, verbose logging on, JSON
    and text output, a refused login, and an attempt to pass the secret as an option."""
    case.pbx.auth_fail_delay = 0.01
    url = case.pbx.url()
    with environment(AMI_SECRET=SECRET):
        assert run_cli(case, "send", "Ping", "--url", url, "-vv", "--json") == 0
        assert run_cli(case, "send", "Ping", "--url", url, "--auth", "plain", "-v") == 0
        assert (
            run_cli(case, "send", "Login", "--url", url, "--username", "admin", "--secret", SECRET)
            == 2
        )
        assert run_cli(case, "describe", "Login") == 0
    with environment(AMI_SECRET=WRONG):
        assert run_cli(case, "send", "Ping", "--url", url, "-vv") == 3
    with environment(AMI_SECRET=None), terminal(case) as prompts:
        assert run_cli(case, "send", "Ping", "--url", url, "-vv") == 0
        assert prompts  # the secret came from the prompt


@surface
def command_line_url_with_a_password(case: Case) -> None:
    """A URL that carries the secret: refused on the command line (other users see it) and
    in AMI_URL, before any prompt, with a message that does not repeat it."""
    host = f"{case.pbx.host}:{case.pbx.port}"
    for url in (f"ami://admin:{SECRET}@{host}", f"ami://admin:{SECRET}/x@{host}"):
        for secret in (SECRET, None):
            with environment(AMI_URL=None, AMI_SECRET=secret), terminal(case):
                assert run_cli(case, "send", "Ping", "--url", url) == 2
                assert run_cli(case, "send", "--url", url, "Ping") == 2
                assert run_cli(case, "events", "--count", "1", "--url", url) == 2
            with environment(AMI_URL=url, AMI_SECRET=secret), terminal(case):
                assert run_cli(case, "send", "Ping") == 2
    assert case.pbx.received == []  # and nothing was sent


@surface
def command_line_options_given_the_secret(case: Case) -> None:
    """The secret typed where an option's value or a word goes: argparse's own messages
    quote what was typed ("invalid choice: ...") and take abbreviations (``--a=S`` for
    ``--auth=S``); none of them may repeat it."""
    url = case.pbx.url()
    mistakes = [
        ["--auth", f"admin:{SECRET}"],
        [f"--auth={SECRET}"],
        [f"--a={SECRET}"],
        ["--a", SECRET],
        [f"--au={SECRET}"],
        ["--timeout", SECRET],
        [f"--embedded={SECRET}"],
        [f"--json={SECRET}"],
        [f"-v{SECRET}"],
        ["--secret", SECRET],
        [f"--secret={SECRET}"],
        [f"--se={SECRET}"],
        [f"-{SECRET}"],
        [SECRET],
    ]
    with environment(AMI_SECRET=SECRET):
        for words in mistakes:
            assert run_cli(case, "send", "Ping", "--url", url, *words) == 2, words
            assert run_cli(case, "send", *words, "Ping", "--url", url) == 2, words
            assert run_cli(case, "events", "--url", url, *words) == 2, words
            if words[0].startswith("-"):  # (a word alone is list's pattern)
                assert run_cli(case, "list", *words) == 2, words
        assert run_cli(case, "notify", "--pbx-config", "p.yaml", "--rate", SECRET) == 2
        assert run_cli(case, "notify", "--pbx-config", "p.yaml", "--target", SECRET) == 2
        assert run_cli(case, SECRET) == 2
        assert run_cli(case, "send", "SIPnotify", "--url", url, "--channel", SECRET, "-vx") == 2
        assert run_cli(case, "send", "SIPnotify", "--url", url, "--variable", SECRET) == 2
        assert run_cli(case, "send", "--secret", SECRET, "Ping", "--url", url) == 2
        for header in (f"Secret={SECRET}", f"Key: {SECRET}", SECRET, f"Bad Name={SECRET}"):
            assert (
                run_cli(case, "send", "--generic", "Login", "--header", header, "--url", url) == 2
            )
        assert run_cli(case, "list", "--url", f"{url}?timeout={SECRET}") == 2
    assert case.pbx.received == []


@surface
def command_line_pbx_config_with_the_secret_in_it(case: Case) -> None:
    """``ami notify`` with a PBX config that holds the secret where it should not: in the
    URL, as a value of another key, on a line YAML cannot read. The errors name the PBX and
    the rule, never the value; no prompt shows the URL."""
    import tempfile
    from pathlib import Path

    url = case.pbx.url().replace("admin@", f"admin:{SECRET}@")
    configs = [
        f"east: {{url: '{url}'}}\n",
        f"east: {{url: '{case.pbx.url()}', rate: '{SECRET}'}}\n",
        f"east: {{url: '{case.pbx.url()}', method: '{SECRET}'}}\n",
        f"east: {{url: '{case.pbx.url()}', secret_env: '{SECRET}'}}\n",
        f"east: {{url: '{case.pbx.url()}', secret: '{SECRET}'}}\n",
        f"east: {{url: '{SECRET}'}}\n",
        f"east: {{url: '{case.pbx.url()}', note: {SECRET}\n",  # a brace left open
        f"east:\n  url: {case.pbx.url()}\n  {SECRET}\n  rate: 5\n",
        f"east: !!python/object/apply:os.getenv ['{SECRET}']\n",
    ]
    with tempfile.TemporaryDirectory() as folder, environment(AMI_SECRET=None):
        config = Path(folder) / "pbx.yaml"
        for text in configs:
            config.write_text(text, encoding="utf-8")
            with terminal(case) as prompts:
                code = run_cli(
                    case, "notify", "--pbx-config", str(config), "--target", "east:phone1"
                )
            assert code == 2, text
            assert prompts == [], text
    assert case.pbx.received == []


@surface
def make_demo(case: Case) -> None:
    """``make demo`` (``python -m sdk.demo``) against a server from AMI_URL: with the
    secret in AMI_SECRET, a wrong one, and a URL that carries it."""
    import subprocess
    import sys
    from pathlib import Path

    case.pbx.auth_fail_delay = 0.01
    url = case.pbx.url()
    runs = [
        (url, SECRET, 0),
        (url, WRONG, 1),
        (url.replace("admin@", f"admin:{SECRET}@"), SECRET, 1),
        (url.replace("admin@", f"admin:{SECRET}@"), None, 1),
    ]
    for ami_url, secret, expected in runs:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMI_")}
        env["AMI_URL"] = ami_url
        if secret is not None:
            env["AMI_SECRET"] = secret
        result = subprocess.run(
            [sys.executable, "-m", "sdk.demo"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        case.show(result.stdout, result.stderr)
        assert result.returncode == expected, result.stderr
        assert "Traceback" not in result.stderr


# --- the notebook widgets ---------------------------------------------------------------------


@surface
def notebook_panel_and_forms(case: Case) -> None:
    """The widget model is what JupyterLab shows and saves in the notebook: it is shown too."""
    import ipywidgets

    from sdk.widgets import ActionForm, ConnectionPanel

    case.pbx.auth_fail_delay = 0.01
    panel = ConnectionPanel(case.pbx.host, case.pbx.port, "admin", events="user", timeout=10)
    try:
        panel.secret.value = WRONG  # as typed in the browser
        assert not panel.connect()
        case.show(panel, panel.state.value, panel.secret)
        panel.secret.value = SECRET
        assert panel.connect()
        form = ActionForm(Login, panel).fill(username="admin", secret=SECRET)
        form.send()
        case.show(form, panel, panel.secret, panel.state.value, form.response.value)
        case.show(form.history, [sent.row() for sent in form.history])
        case.show(ipywidgets.Widget.get_manager_state())
        form.close()
    finally:
        panel.close()


# --- the checks -------------------------------------------------------------------------------


@pytest.fixture
def pbx() -> Iterator[AMIServer]:
    with AMIServer.as_recorded(challenge=CHALLENGE) as server:
        server.add_user("admin", SECRET)
        yield server


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_secret_and_key_never_show(
    name: str, pbx: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    case = Case(pbx)
    SURFACES[name](case)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logs = [formatter.format(record) for record in caplog.records]
    shown = case.texts + logs
    assert case.texts, "the surface showed nothing: the test would prove nothing"
    for text in shown:
        for secret in NEVER_SHOWN:
            assert secret not in text, f"{name} showed a secret in: {text[:300]!r}"


def test_every_secret_field_of_a_spec_is_a_secret_header() -> None:
    """``SECRET_HEADERS`` (what is masked in headers given by name) holds every header a spec
    marks secret: Generic("Login", ...) hides what Login hides."""
    from sdk.actions import ACTIONS
    from sdk.model.fields import SECRET_HEADERS

    marked = {
        info.header.lower() for name in ACTIONS for _, info in ACTIONS[name].fields() if info.secret
    }
    assert marked == {"secret", "key"}  # Login's, the only ones Asterisk's AMI has
    assert marked <= SECRET_HEADERS


def test_the_capture_would_see_a_leak(pbx: AMIServer, caplog: pytest.LogCaptureFixture) -> None:
    """The checks above are not vacuous: logs at DEBUG are captured, and a leak is found."""
    caplog.set_level(logging.DEBUG)
    with Session(pbx.host, pbx.port, username="admin", secret=SECRET):
        pass
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "send Action: Login" in text and "Key: ***" in text
    logging.getLogger("sdk.client.session").debug("leak %s", KEY)
    assert any(KEY in r.getMessage() for r in caplog.records)
