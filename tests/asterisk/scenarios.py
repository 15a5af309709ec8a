"""The scenarios the fidelity test runs against a real server and the embedded one.

Two kinds: every recorded fixture's requests (``tests/fixtures/``), and the scenarios written
here, beyond the recordings: names and their case, channel prefixes, every configured user,
CLI commands, each action the embedded server implements with good and bad arguments.
A scenario is one connection: its steps (``conversation.Step``) and how many SIP requests
the phone should get. Its requests hold fixed ActionIDs, so the two answers compare as
they are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conversation import Step

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASES = {"20": "20.20.1", "22": "22.10.1"}
SECRETS = {"admin": "s3cret", "readonly": "r3ad"}


@dataclass(frozen=True)
class Scenario:
    name: str
    version: str  # "20" or "22"
    steps: tuple[Step, ...]
    secret: str = "s3cret"  # for a {key} in a step (MD5 login)
    sip: int = 0  # SIP requests the phone should get
    recorded: bool = False

    @property
    def notifies(self) -> bool:
        """Does it send a NOTIFY action (so that the phone must be listened to)?"""
        return any(re.search(r"^action: *\w*notify", s.send, re.I | re.M) for s in self.steps)

    @property
    def id(self) -> str:
        return f"{self.version}-{self.name}"


# --- the recorded fixtures ----------------------------------------------------------------


def _events_awaited(text: str) -> tuple[str, ...]:
    """The events a recorded answer holds, list items left out (a list's length depends on
    the server's state, and its completion is waited for anyway)."""
    names = []
    lists: set[str] = set()
    for message in text.split("\r\n\r\n"):
        action_id = re.search(r"^ActionID: (.*)$", message, re.MULTILINE)
        key = action_id.group(1) if action_id else ""
        if message.startswith("Response:") and "\r\nEventList: start" in message:
            lists.add(key)
        elif message.startswith("Event:"):
            if key in lists:
                if "\r\nEventList: Complete" in message:
                    lists.discard(key)
                continue
            names.append(message.split("\r\n", 1)[0].removeprefix("Event: "))
    return tuple(names)


def _key_placeholder(send: str, challenge: str | None) -> tuple[str, str]:
    """A recorded MD5 Key valid for the recorded challenge becomes ``{key}`` (computed
    afresh from the live challenge); a wrong one stays wrong. Returns (send, secret)."""
    key = re.search(r"^Key: ([0-9a-f]{32})\r$", send, re.MULTILINE)
    user = re.search(r"^Username: (\S+)\r$", send, re.MULTILINE)
    if not key or not user or challenge is None:
        return send, ""
    secret = SECRETS.get(user.group(1), "")
    if hashlib.md5((challenge + secret).encode()).hexdigest() != key.group(1):
        return send, secret
    return send.replace(key.group(1), "{key}"), secret


def from_fixture(path: Path, version: str) -> Scenario:
    data = json.loads(path.read_text(encoding="utf-8"))
    steps: list[Step] = []
    sip = 0
    secret = ""
    challenge = None
    for exchange in data["exchanges"][1:]:
        if "send" in exchange:
            send, found = _key_placeholder(exchange["send"], challenge)
            secret = found or secret
            steps.append(Step(send))
        elif "recv" in exchange and steps:
            last = steps[-1]
            names = last.events + _events_awaited(exchange["recv"])
            steps[-1] = Step(last.send, names)
            found = re.search(r"Challenge: (\d+)", exchange["recv"])
            challenge = found.group(1) if found else challenge
        elif "sip_sent_by_asterisk" in exchange:
            sip += len(exchange["sip_sent_by_asterisk"])
    return Scenario(path.stem, version, tuple(steps), secret or "s3cret", sip, recorded=True)


def recorded(version: str) -> list[Scenario]:
    folder = FIXTURES / f"asterisk-{RELEASES[version]}"
    return [from_fixture(path, version) for path in sorted(folder.glob("*.json"))]


# --- written here -------------------------------------------------------------------------


def request(action: str, action_id: str, *headers: tuple[str, str] | str) -> str:
    """One request: ``Action``, ``ActionID``, then ``headers`` (pairs, or lines as written)."""
    lines = [f"Action: {action}", f"ActionID: {action_id}"]
    for header in headers:
        lines.append(header if isinstance(header, str) else f"{header[0]}: {header[1]}")
    return "".join(f"{line}\r\n" for line in lines) + "\r\n"


def login(user: str = "admin", events: str = "off", action_id: str = "login") -> Step:
    """A plain login; with security events on, it waits for its SuccessfulAuth, which comes
    through Stasis (a thread of its own) and so, without the wait, at any later moment."""
    classes = {c.strip().lower() for c in events.split(",")}
    security = bool(classes & {"on", "all", "security", "yes", "true"})
    return Step(
        request(
            "Login", action_id, ("Username", user), ("Secret", SECRETS[user]), ("Events", events)
        ),
        ("SuccessfulAuth",) if security else (),
    )


def written(
    name: str,
    version: str,
    *requests: str | Step,
    user: str = "admin",
    events: str = "off",
    sip: int = 0,
) -> Scenario:
    """A scenario: log in as ``user``, then each request (a step each)."""
    steps = [login(user, events)]
    steps += [r if isinstance(r, Step) else Step(r) for r in requests]
    return Scenario(name, version, tuple(steps), SECRETS[user], sip)


def new(version: str) -> list[Scenario]:
    return list(_new(version))


def ping(action_id: str = "p") -> str:
    return request("Ping", action_id)


def _new(version: str) -> Iterable[Scenario]:
    yield from _sessions(version)
    yield from _core(version)
    yield from _cli(version)
    yield from _channels(version)
    if version == "20":
        yield from _chan_sip()
    else:
        yield from _res_pjsip()


def _sessions(v: str) -> Iterable[Scenario]:
    """Logins of every configured user, plain and MD5, refused ones, what each may send."""
    for user in SECRETS:
        yield written(f"user-{user}-ping", v, ping(), user=user)
        yield written(f"user-{user}-listcommands", v, request("ListCommands", "lc"), user=user)
        # the security event of a login comes through Stasis: waited for before going on
        yield written(f"user-{user}-events-on", v, ping(), user=user, events="on")
        yield written(f"user-{user}-events-system", v, ping(), user=user, events="system")
        md5 = (
            Step(request("Challenge", "ch", ("AuthType", "MD5"))),
            Step(
                request(
                    "Login",
                    "md5",
                    ("AuthType", "MD5"),
                    ("Username", user),
                    "Key: {key}",
                    ("Events", "off"),
                )
            ),
            Step(ping()),
        )
        yield Scenario(f"user-{user}-md5", v, md5, SECRETS[user])
        md5_lower = (
            Step(request("Challenge", "ch", ("AuthType", "md5"))),
            Step(
                request(
                    "Login",
                    "md5",
                    ("AuthType", "md5"),
                    ("Username", user),
                    "Key: {key}",
                    ("Events", "off"),
                )
            ),
        )
        yield Scenario(f"user-{user}-md5-lowercase", v, md5_lower, SECRETS[user])
    yield written(
        "readonly-command",
        v,
        request("Command", "c", ("Command", "core show version")),
        user="readonly",
    )
    yield written(
        "readonly-originate",
        v,
        request(
            "Originate",
            "o",
            ("Channel", "Local/100@default"),
            ("Application", "Wait"),
            ("Data", "1"),
        ),
        user="readonly",
    )
    yield written(
        "readonly-dbput",
        v,
        request("DBPut", "d", ("Family", "fidelity"), ("Key", "k"), ("Val", "v")),
        user="readonly",
    )
    yield written(
        "readonly-dbget",
        v,
        request("DBGet", "d", ("Family", "fidelity"), ("Key", "k")),
        user="readonly",
    )
    yield written(
        "readonly-setvar",
        v,
        request("Setvar", "s", ("Variable", "FIDELITY_RO"), ("Value", "x")),
        user="readonly",
    )
    yield written(
        "readonly-getvar", v, request("Getvar", "g", ("Variable", "FIDELITY_RO")), user="readonly"
    )
    yield written(
        "readonly-hangup", v, request("Hangup", "h", ("Channel", "Local/none")), user="readonly"
    )
    yield written(
        "readonly-userevent",
        v,
        Step(request("UserEvent", "u", ("UserEvent", "Probe")), ("RequestNotAllowed",)),
        user="readonly",
        events="security,user",
    )
    yield written(
        "security-unknown-action",
        v,
        Step(request("NoSuchAction", "u"), ("RequestBadFormat",)),
        events="security",
    )
    yield written(
        "security-missing-action",
        v,
        Step("ActionID: none\r\n\r\n", ("RequestBadFormat",)),
        events="security",
    )
    yield written("readonly-status", v, request("Status", "s"), user="readonly")
    yield written("readonly-coresettings", v, request("CoreSettings", "cs"), user="readonly")
    yield written(
        "readonly-filter",
        v,
        request("Filter", "f", ("Operation", "Add"), ("Filter", "Event: X")),
        user="readonly",
    )
    refused = [
        ("login-unknown-user", [("Username", "nobody"), ("Secret", "s3cret")]),
        ("login-wrong-case-user", [("Username", "Admin"), ("Secret", "s3cret")]),
        ("login-wrong-case-secret", [("Username", "admin"), ("Secret", "S3cret")]),
        ("login-no-username", [("Secret", "s3cret")]),
        ("login-empty-secret", [("Username", "admin"), ("Secret", "")]),
        ("login-readonly-admin-secret", [("Username", "readonly"), ("Secret", "s3cret")]),
    ]
    for name, headers in refused:
        yield Scenario(name, v, (Step(request("Login", "l", *headers, ("Events", "off"))),))
    yield Scenario(
        "login-md5-without-challenge",
        v,
        (
            Step(
                request(
                    "Login",
                    "l",
                    ("AuthType", "MD5"),
                    ("Username", "admin"),
                    ("Key", "0" * 32),
                    ("Events", "off"),
                )
            ),
        ),
    )
    yield Scenario(
        "challenge-twice",
        v,
        (
            Step(request("Challenge", "c1", ("AuthType", "MD5"))),
            Step(request("Challenge", "c2", ("AuthType", "MD5"))),
            Step(
                request(
                    "Login",
                    "md5",
                    ("AuthType", "MD5"),
                    ("Username", "admin"),
                    "Key: {key}",
                    ("Events", "off"),
                )
            ),
        ),
    )
    yield Scenario("challenge-no-authtype", v, (Step(request("Challenge", "c")),))
    yield written("logoff-after-login", v, request("Logoff", "bye"))
    yield written("lowercase-action-ping", v, "action: ping\r\nactionid: lp\r\n\r\n")
    yield written("uppercase-action-ping", v, "ACTION: PING\r\nACTIONID: up\r\n\r\n")
    yield written("ping-no-actionid", v, "Action: Ping\r\n\r\n")
    yield written("ping-empty-actionid", v, "Action: Ping\r\nActionID: \r\n\r\n")
    yield written(
        "ping-duplicate-actionid", v, "Action: Ping\r\nActionID: one\r\nActionID: two\r\n\r\n"
    )
    yield written("ping-lf-line-ends", v, "Action: Ping\nActionID: lf\n\n")
    yield written("ping-blanks-before-value", v, "Action:    Ping\r\nActionID:\t tab\r\n\r\n")
    yield written("ping-trailing-blanks", v, "Action: Ping\r\nActionID: trail  \r\n\r\n")
    yield written(
        "ping-128-lines", v, request("Ping", "many", *[f"X-{i}: {i}" for i in range(126)])
    )
    yield written(
        "ping-129-lines", v, request("Ping", "toomany", *[f"X-{i}: {i}" for i in range(127)])
    )
    yield written("ping-1023-byte-line", v, request("Ping", "a" * (1023 - len("ActionID: ") - 2)))
    yield written("ping-1024-byte-line", v, request("Ping", "a" * (1024 - len("ActionID: ") - 2)))
    yield written("unknown-action-mixed-case", v, request("NoSuchAction", "u"))
    yield written("empty-action", v, "Action: \r\nActionID: e\r\n\r\n")
    yield written(
        "userevent-headers",
        v,
        Step(
            request(
                "UserEvent",
                "ue",
                ("UserEvent", "Fidelity"),
                ("Color", "blue"),
                ("Note", "a, b; c=d"),
            ),
            ("UserEvent",),
        ),
        events="user",
    )
    yield written(
        "userevent-no-name",
        v,
        Step(request("UserEvent", "ue", ("Color", "blue")), ("UserEvent",)),
        events="on",
    )
    yield written("userevent-events-off", v, request("UserEvent", "ue", ("UserEvent", "Quiet")))
    for mask in ("on", "off", "system", "user", "call,user", "nonsense"):
        yield written(
            f"events-mask-{mask.replace(',', '-')}", v, request("Events", "ev", ("EventMask", mask))
        )
    yield written("events-no-mask", v, request("Events", "ev"))
    yield written(
        "events-then-userevent",
        v,
        request("Events", "ev", ("EventMask", "user")),
        Step(request("UserEvent", "ue", ("UserEvent", "After")), ("UserEvent",)),
    )
    for name, text in (
        ("filter-include", "Event: UserEvent"),
        ("filter-exclude", "!Event: Newexten"),
        ("filter-bad-regex", "Event: (unclosed"),
        ("filter-empty", ""),
    ):
        yield written(name, v, request("Filter", "f", ("Operation", "Add"), ("Filter", text)))
    yield written("filter-no-operation", v, request("Filter", "f", ("Filter", "Event: X")))
    yield written(
        "filter-unknown-operation",
        v,
        request("Filter", "f", ("Operation", "Delete"), ("Filter", "X")),
    )
    yield written(
        "filter-then-userevents",
        v,
        request("Filter", "f", ("Operation", "Add"), ("Filter", "UserEvent: Kept")),
        request("UserEvent", "u1", ("UserEvent", "Dropped")),
        Step(request("UserEvent", "u2", ("UserEvent", "Kept")), ("UserEvent",)),
        events="user",
    )


def _core(v: str) -> Iterable[Scenario]:
    """Actions of the core: good arguments and bad ones."""
    yield written("coresettings-again", v, request("CoreSettings", "cs"))
    yield written("corestatus-again", v, request("CoreStatus", "cs"))
    yield written("coreshowchannels", v, request("CoreShowChannels", "csc"))
    yield written("listcommands-admin", v, request("ListCommands", "lc"))
    yield written("getvar-global-unset", v, request("Getvar", "g", ("Variable", "FIDELITY_UNSET")))
    yield written("getvar-no-variable", v, request("Getvar", "g"))
    yield written("getvar-function", v, request("Getvar", "g", ("Variable", "LEN(hello)")))
    yield written(
        "getvar-db-function",
        v,
        request("DBPut", "p", ("Family", "fidelity"), ("Key", "f"), ("Val", "from db")),
        request("Getvar", "g", ("Variable", "DB(fidelity/f)")),
        request("Getvar", "g2", ("Variable", "DB(fidelity/none)")),
    )
    yield written(
        "getvar-global-function",
        v,
        request("Setvar", "s", ("Variable", "FIDELITY_GF"), ("Value", "gf")),
        request("Getvar", "g", ("Variable", "GLOBAL(FIDELITY_GF)")),
    )
    yield written(
        "getvar-unknown-channel",
        v,
        request("Getvar", "g", ("Channel", "Local/none-1;1"), ("Variable", "X")),
    )
    yield written(
        "setvar-getvar-global",
        v,
        request(
            "Setvar", "s", ("Variable", "FIDELITY_G"), ("Value", 'a value, with = and "quotes"')
        ),
        request("Getvar", "g", ("Variable", "FIDELITY_G")),
    )
    yield written(
        "setvar-empty-value",
        v,
        request("Setvar", "s", ("Variable", "FIDELITY_E"), ("Value", "")),
        request("Getvar", "g", ("Variable", "FIDELITY_E")),
    )
    yield written("setvar-no-variable", v, request("Setvar", "s", ("Value", "x")))
    yield written(
        "setvar-unknown-channel",
        v,
        request("Setvar", "s", ("Channel", "Local/none-1;1"), ("Variable", "X"), ("Value", "1")),
    )
    yield written(
        "setvar-name-case",
        v,
        request("Setvar", "s", ("Variable", "FIDELITY_CASE"), ("Value", "upper")),
        request("Getvar", "g", ("Variable", "fidelity_case")),
    )
    yield written(
        "dbput-dbget-fidelity",
        v,
        request("DBPut", "p", ("Family", "fidelity"), ("Key", "k1"), ("Val", 'v1, v2 = "x"')),
        request("DBGet", "g", ("Family", "fidelity"), ("Key", "k1")),
        request("DBGet", "g2", ("Family", "FIDELITY"), ("Key", "K1")),
    )
    yield written("dbput-no-family", v, request("DBPut", "p", ("Key", "k"), ("Val", "v")))
    yield written("dbput-no-key", v, request("DBPut", "p", ("Family", "fidelity"), ("Val", "v")))
    yield written(
        "dbput-no-val",
        v,
        request("DBPut", "p", ("Family", "fidelity"), ("Key", "nv")),
        request("DBGet", "g", ("Family", "fidelity"), ("Key", "nv")),
    )
    yield written("dbget-no-family", v, request("DBGet", "g", ("Key", "k")))
    yield written("dbget-no-key", v, request("DBGet", "g", ("Family", "fidelity")))
    yield written(
        "dbget-missing", v, request("DBGet", "g", ("Family", "fidelity"), ("Key", "none"))
    )
    yield written(
        "extensionstate-100",
        v,
        request("ExtensionState", "e", ("Exten", "100"), ("Context", "default")),
    )
    yield written(
        "extensionstate-missing",
        v,
        request("ExtensionState", "e", ("Exten", "999"), ("Context", "default")),
    )
    yield written(
        "extensionstate-no-exten", v, request("ExtensionState", "e", ("Context", "default"))
    )
    yield written("extensionstate-no-context", v, request("ExtensionState", "e", ("Exten", "100")))
    yield written("hangup-unknown", v, request("Hangup", "h", ("Channel", "Local/none-00000000;1")))
    yield written("hangup-regex-none", v, request("Hangup", "h", ("Channel", "/^Local/none.*$/")))
    yield written("hangup-bad-regex", v, request("Hangup", "h", ("Channel", "/(unclosed/")))
    yield written(
        "status-unknown-channel", v, request("Status", "s", ("Channel", "Local/none-00000000;1"))
    )
    yield written("status-no-channels", v, request("Status", "s"))
    yield written("status-variables", v, request("Status", "s", ("Variables", "FOO,BAR")))


def _cli(v: str) -> Iterable[Scenario]:
    """CLI commands through Command: the ones the embedded server knows, in any case, and
    unknown ones (Asterisk's hint names the longest known prefix)."""
    commands = [
        "core show version",
        "CORE SHOW VERSION",
        "core  show   version",
        "core show channels",
        "core show nothing",
        "core show",
        "no such command",
        "sip show nothing",
        "!",
        "x",
    ]
    commands.append("sip show peers" if v == "20" else "pjsip show nothing")
    for index, text in enumerate(commands):
        yield written(
            f"cli-{index:02d}-{text.replace(' ', '-').strip('-') or 'blank'}",
            v,
            request("Command", "c", ("Command", text)),
        )
    yield written("cli-no-command", v, request("Command", "c"))
    yield written("cli-empty-command", v, request("Command", "c", ("Command", "")))


def _channels(v: str) -> Iterable[Scenario]:
    """Originate to Local channels and what follows: Status with a live call, Hangup."""
    local = ("Channel", "Local/100@default")
    yield written(
        "originate-no-channel", v, request("Originate", "o", ("Application", "Wait"), ("Data", "1"))
    )
    yield written(
        "originate-no-slash",
        v,
        request("Originate", "o", ("Channel", "nochannel"), ("Application", "Wait")),
    )
    yield written(
        "originate-unknown-tech",
        v,
        request("Originate", "o", ("Channel", "Nope/1"), ("Application", "Wait")),
    )
    yield written(
        "originate-unknown-exten",
        v,
        request("Originate", "o", ("Channel", "Local/999@default"), ("Application", "Wait")),
    )
    yield written(
        "originate-unknown-context",
        v,
        request("Originate", "o", ("Channel", "Local/100@nowhere"), ("Application", "Wait")),
    )
    yield written(
        "originate-sync-wait",
        v,
        request("Originate", "o", local, ("Application", "Wait"), ("Data", "1")),
    )
    yield written(
        "originate-then-status",
        v,
        request("Originate", "o", local, ("Application", "Wait"), ("Data", "5")),
        Step(request("Status", "s"), pause=1.0),  # by then ;2 is past Answer, in Wait(30)
        request("CoreShowChannels", "csc"),
        request("Command", "c", ("Command", "core show channels")),
    )
    yield written(
        "originate-then-hangup-regex",
        v,
        request("Originate", "o", local, ("Application", "Wait"), ("Data", "5")),
        request("Hangup", "h", ("Channel", "/^Local/100@default-.*;1$/")),
    )
    yield written(
        "originate-async-events-off",
        v,
        request("Originate", "o", local, ("Application", "Wait"), ("Data", "1"), ("Async", "true")),
    )
    yield written(
        "originate-async-unknown-exten",
        v,
        Step(
            request(
                "Originate",
                "o",
                ("Channel", "Local/999@default"),
                ("Application", "Wait"),
                ("Async", "yes"),
            ),
            # every event it makes: they come from several threads, some after the answer
            ("OriginateResponse", "Hangup", "Hangup", "DeviceStateChange", "DeviceStateChange"),
        ),
        events="call",
    )


def _notify(v: str, target: str, headers: tuple[tuple[str, str] | str, ...]) -> str:
    action, header = ("SIPnotify", "Channel") if v == "20" else ("PJSIPNotify", "Endpoint")
    return request(action, "n", (header, target), *headers)


ESCAPED = (
    "Variable: Event=check-sync",
    "Variable: X-Comma=a\\,b",
    r"Variable: X-Quote=say \"hi\"",
    "Variable: X-Backslash=c:\\\\path",
    "Variable: X-Brackets=\\(1\\) \\[2\\]",
    "Variable: X-Equals=k=v=w",
    "Variable: X-Unicode=caf\u00e9 \u2603",
    "Variable: Content-Type=text/plain",
    "Variable: Content=line one",
    "Variable: Content=",
    "Variable: Content=line, three",
)


def _notify_cases(v: str) -> Iterable[tuple[str, str, tuple, int]]:
    """(name, target, headers, NOTIFYs sent) common to SIPnotify and PJSIPNotify."""
    event = ("Variable", "Event=check-sync")
    yield "notify-phone1", "phone1", (event,), 1
    yield "notify-PHONE1", "PHONE1", (event,), 0
    yield "notify-Phone1", "Phone1", (event,), 0
    yield "notify-phone2", "phone2", (event,), 0
    yield "notify-unknown", "phone9", (event,), 0
    yield "notify-escaped-values", "phone1", ESCAPED, 1
    yield "notify-unescaped-comma", "phone1", ("Variable: Event=check-sync,X-Two=2",), 1
    yield "notify-two-events", "phone1", (event, ("Variable", "Event=second")), 1
    yield "notify-content-length", "phone1", (event, ("Variable", "Content-Length=99")), 1
    yield "notify-empty-variable", "phone1", ("Variable: ",), 0 if v == "22" else 1
    yield "notify-variable-no-equals", "phone1", ("Variable: Event",), 0 if v == "22" else 1
    yield (
        "notify-mwi",
        "phone1",
        (
            "Variable: Event=message-summary",
            "Variable: Content-Type=application/simple-message-summary",
            "Variable: Content=Messages-Waiting: yes",
            "Variable: Content=Voice-Message: 2/8 \\(0/2\\)",
        ),
        1,
    )
    yield "notify-lowercase-headers", "phone1", ("variable: Event=check-sync",), 1


def _chan_sip() -> Iterable[Scenario]:
    v = "20"
    for name, target, headers, sent in _notify_cases(v):
        yield written(name, v, _notify(v, target, headers), sip=sent)
    event = ("Variable", "Event=check-sync")
    for prefix in ("SIP/", "sip/", "Sip/", "PJSIP/"):
        yield written(
            f"notify-prefix-{prefix.strip('/')}",
            v,
            _notify(v, prefix + "phone1", (event,)),
            sip=0 if prefix == "PJSIP/" else 1,
        )
    yield written("notify-host-port", v, _notify(v, "127.0.0.1:15070", (event,)), sip=1)
    yield written("notify-sip-PHONE1", v, _notify(v, "SIP/PHONE1", (event,)))
    yield written(
        "notify-callid-unknown", v, _notify(v, "phone1", (event, ("Call-ID", "none@127.0.0.1")))
    )
    yield written("notify-no-channel", v, request("SIPnotify", "n", event))
    yield written("notify-readonly", v, _notify(v, "phone1", (event,)), user="readonly")
    yield written("sippeers-again", v, request("SIPpeers", "sp"))
    for peer in ("phone1", "PHONE1", "phone2", "SIP/phone1", "nobody", ""):
        yield written(
            f"sipshowpeer-{peer.replace('/', '-') or 'blank'}",
            v,
            request("SIPshowpeer", "ssp", ("Peer", peer)),
        )
    yield written("sipshowpeer-no-peer", v, request("SIPshowpeer", "ssp"))
    for peer in ("phone1", "PHONE1", "SIP/phone1", "sip/PHONE1", "nobody"):
        yield written(
            f"sippeerstatus-{peer.replace('/', '-')}",
            v,
            request("SIPpeerstatus", "sps", ("Peer", peer)),
        )
    yield written(
        "pjsipnotify-on-20", v, request("PJSIPNotify", "pn", ("Endpoint", "phone1"), event)
    )
    yield written("pjsipshowendpoints-on-20", v, request("PJSIPShowEndpoints", "pe"))


def _res_pjsip() -> Iterable[Scenario]:
    v = "22"
    for name, target, headers, sent in _notify_cases(v):
        yield written(name, v, _notify(v, target, headers), sip=sent)
    event = ("Variable", "Event=check-sync")
    for prefix in ("PJSIP/", "pjsip/", "SIP/", "sip/", "Pjsip/", "IAX2/"):
        sent = 0 if prefix == "IAX2/" else 1
        yield written(
            f"notify-prefix-{prefix.strip('/')}",
            v,
            _notify(v, prefix + "phone1", (event,)),
            sip=sent,
        )
    yield written("notify-pjsip-PHONE1", v, _notify(v, "PJSIP/PHONE1", (event,)))
    for option in ("check-sync", "clear-mwi", "CHECK-SYNC", "nothing"):
        sent = 1 if option in ("check-sync", "clear-mwi") else 0
        yield written(
            f"notify-option-{option}",
            v,
            request("PJSIPNotify", "n", ("Endpoint", "phone1"), ("Option", option)),
            sip=sent,
        )
    yield written(
        "notify-option-phone2",
        v,
        request("PJSIPNotify", "n", ("Endpoint", "phone2"), ("Option", "check-sync")),
    )
    yield written(
        "notify-uri-phone",
        v,
        request("PJSIPNotify", "n", ("URI", "sip:phone1@127.0.0.1:15072"), event),
    )
    yield written(
        "notify-uri-option",
        v,
        request(
            "PJSIPNotify", "n", ("URI", "sip:phone1@127.0.0.1:15072"), ("Option", "check-sync")
        ),
    )
    yield written(
        "notify-channel-unknown",
        v,
        request("PJSIPNotify", "n", ("Channel", "PJSIP/phone1-00000001"), event),
    )
    yield written(
        "notify-channel-lowercase-header",
        v,
        request("PJSIPNotify", "n", ("channel", "PJSIP/phone1-00000001"), event),
    )
    yield written(
        "notify-endpoint-and-uri",
        v,
        request("PJSIPNotify", "n", ("Endpoint", "phone1"), ("URI", "sip:x@127.0.0.1"), event),
    )
    yield written("notify-no-target", v, request("PJSIPNotify", "n", event))
    yield written("notify-no-payload", v, request("PJSIPNotify", "n", ("Endpoint", "phone1")))
    yield written(
        "notify-refused-via",
        v,
        _notify(v, "phone1", (event, ("Variable", "Via=SIP/2.0/UDP 1.2.3.4"))),
        sip=1,
    )
    yield written(
        "notify-content-no-type",
        v,
        _notify(v, "phone1", (event, ("Variable", "Content=body"))),
        sip=1,
    )
    yield written("notify-readonly", v, _notify(v, "phone1", (event,)), user="readonly")
    yield written("pjsipshowendpoints-again", v, request("PJSIPShowEndpoints", "pe"))
    yield written("sipnotify-on-22", v, request("SIPnotify", "sn", ("Channel", "phone1"), event))
    yield written("sippeers-on-22", v, request("SIPpeers", "sp"))


def scenarios(version: str) -> list[Scenario]:
    out = recorded(version) + new(version)
    names = [s.name for s in out]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"scenario names used twice: {sorted(duplicated)}"
    return out
