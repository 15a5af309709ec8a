"""``ami``: send AMI actions from a shell (also ``python -m sdk``).

::

    ami list [PATTERN] [--url URL | --embedded [16|18|20|21|22|23] | --release 16]
    ami describe PJSIPNotify [--release 16]
    ami send SIPnotify --channel phone1 --variable Event=check-sync
    ami send SIPpeers --json
    ami send --generic MyModuleReload --header Module=res_mine
    ami events --filter 'Peer*'
    ami notify --pbx-config pbx.yaml --csv targets.csv --event check-sync --results done.csv

The options of ``ami send ACTION`` are generated from the action's spec (its field
metadata). The connection comes from ``--url ami://user@host:port`` or ``AMI_URL``; the
secret from ``AMI_SECRET`` or a prompt that does not echo; it is never accepted on the command
line. ``--embedded`` runs against the embedded AMI server instead. Messages name the
command line's options, never a Python argument (errors are worded for a URL: ``Advice``).

Exit status: see ``EXIT_STATUS`` (``ami --help`` shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import getpass
import logging
import os
import re
import sys
import textwrap
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import attrs

from sdk import pipes
from sdk.actions import ACTIONS
from sdk.client.capabilities import ServerAction
from sdk.client.hub import matcher
from sdk.client.session import Session
from sdk.client.url import URLProblem, parse_url
from sdk.display import mask_url, terminal_json, terminal_text, text_table
from sdk.errors import (
    ActionUnavailable,
    AMIError,
    AuthenticationError,
    ConnectionError,
    ProtocolError,
    TimeoutError,
    ValidationError,
    url_words,
)
from sdk.events import EVENTS
from sdk.model.action import Action
from sdk.model.fields import SECRET_HEADERS, FieldInfo
from sdk.model.generic import Generic
from sdk.model.kinds import kind_of
from sdk.model.releases import DOCS_VERSIONS, DOCUMENTED, field_majors, field_notes, has_action
from sdk.model.suggest import did_you_mean
from sdk.notify import body_lines
from sdk.wire.message import Message, Response, json_add

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["main"]

EXIT_OK, EXIT_ACTION_ERROR, EXIT_USAGE, EXIT_CONNECTION, EXIT_TIMEOUT = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_STATUS = (
    "Exit status: 0 ok; 1 the server answered Error, a bulk target failed, or ami list"
    " matched nothing; 2 bad input, nothing sent; 3 connection or login; 4 timeout;"
    " 130 interrupted; 141 the reader of the output went away (ami list | head -1)."
)
EMBEDDED_USER, EMBEDDED_SECRET = "admin", "s3cret"


class UsageError(Exception):
    """Bad command-line input: reported on stderr with exit status 2."""


# argparse messages that quote what was typed, and the same message without it.
_ECHOES = (
    (re.compile(r"(argument .+?: invalid choice): .* (\(choose from .*\))", re.S), r"\1 \2"),
    (re.compile(r"(argument .+?: invalid \S+ value): .*", re.S), r"\1"),
    (re.compile(r"(argument .+?): ignored explicit argument .*", re.S), r"\1 takes no value"),
    (re.compile(r"ambiguous option: (--?[\w-]*).*? (could match .*)", re.S), r"option \1 \2"),
)
_OPTION_NAME = re.compile(r"--[A-Za-z][\w-]*|-[A-Za-z]")  # a word shown as an option name
_SECRET_OPTIONS = ("--secret", "--key", "--password")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors never repeat a value from the command line: one of
    them may be a secret given by mistake (``--secret S``, ``--auth admin:S``), which must not
    reach a terminal or its log. Options are never abbreviated (``--a=S`` is no ``--auth``).

    Known messages lose the value they quote; unknown options are named only when they look
    like option names; and a message that still holds a word of the command line is replaced
    by one that names nothing."""

    unrecognized_hint = ""  # said after the unrecognized options

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._argv: list[str] = []

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        """As argparse's, without dropping the OSError of a write: a reader that went away
        (``ami send --help | head -1``) ends the command as everywhere else (``sdk.pipes``)."""
        if message:
            (file or sys.stderr).write(message)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._argv = [str(a) for a in (sys.argv[1:] if args is None else args)]
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            words = message.split(":", 1)[1].split()
            options = sorted(
                {w.split("=", 1)[0] for w in words if _OPTION_NAME.fullmatch(w.split("=", 1)[0])}
            )
            message = (
                f"unrecognized options: {' '.join(options)}" if options else "unexpected arguments"
            )
            if any(o in _SECRET_OPTIONS for o in options):
                message += " (a secret is never taken from the command line: set AMI_SECRET)"
            elif len(options) == 1:  # an option's name, never a value: names are not secrets
                known = [o for o in self._option_string_actions if o.startswith("--")]
                message += did_you_mean(options[0], known)
            message += self.unrecognized_hint
        for pattern, replacement in _ECHOES:
            message = pattern.sub(replacement, message)
        if any(value in message for value in self._typed_values()):
            message = "bad arguments (not repeated here: one may be a secret); see --help"
        super().error(message)

    def _typed_values(self) -> set[str]:
        return typed_values(self._argv, set(self._option_string_actions))


def typed_values(argv: Sequence[str], known: Collection[str] = ()) -> set[str]:
    """The words of the command line that are not option names (nor parts of them): what
    no message may repeat."""
    values = set()
    for word in argv:
        name, eq, value = word.partition("=")
        if word.startswith("-") and eq:
            values.add(value)
        elif word.startswith("-") and (name in known or _OPTION_NAME.fullmatch(name)):
            continue
        else:
            values.add(word)
        if word[:1] == "-" and word[1:2] != "-":
            values.add(word[2:])  # -vVALUE
    return {v for v in values if len(v) >= 4}


# --- connection -----------------------------------------------------------------------------


def _add_common(
    parser: argparse.ArgumentParser, *, taken: frozenset[str] = frozenset(), late: bool = False
) -> None:
    """Connection and output options. ``late``: for the options after ``ami send ACTION``,
    where an action field of the same name wins (give that option before ACTION instead)."""
    default = argparse.SUPPRESS if late else None

    def add(group: argparse._ArgumentGroup, *names: str, **kwargs: Any) -> None:
        names = tuple(n for n in names if n not in taken)
        if names:
            kwargs.setdefault("default", default)
            group.add_argument(*names, **kwargs)

    group = parser.add_argument_group("connection")
    add(
        group,
        "--url",
        help="ami://user@host:port (default: $AMI_URL); the secret comes from $AMI_SECRET or a prompt",
    )
    add(
        group,
        "--embedded",
        nargs="?",
        const="20",
        choices=DOCUMENTED,
        help="run against the embedded AMI server playing Asterisk 20 (default), or "
        + ", ".join(r for r in DOCUMENTED if r != "20"),
    )
    add(group, "--auth", choices=("md5", "plain"), help="login method (default: md5)")
    add(group, "--timeout", type=float, help="seconds to wait for each answer (default: 10)")
    output = parser.add_argument_group("output")
    add(output, "--json", action="store_true", help="print JSON instead of text")
    add(output, "-v", "--verbose", action="count", help="log to stderr (-vv: debug)")


def _common_options() -> _Parser:
    common = _Parser(add_help=False)  # a parent: only its arguments are read
    _add_common(common)
    return common


@contextlib.contextmanager
def _connect(args: argparse.Namespace, *, events: bool | str = False) -> Iterator[Session]:
    auth = args.auth or "md5"
    timeout = args.timeout if args.timeout is not None else 10.0
    if args.embedded:
        from sdk.testing import AMIServer  # lazy: the embedded server adds ~25% to start-up

        with AMIServer.as_recorded(args.embedded) as pbx:
            with Session(
                pbx.host, pbx.port, username=EMBEDDED_USER, secret=EMBEDDED_SECRET,
                auth=auth, timeout=timeout, events=events,
            ) as session:  # fmt: skip
                yield session
        return
    url = args.url or os.environ.get("AMI_URL")
    if not url:
        raise UsageError(
            "no server: give --url ami://user@host:port, set AMI_URL, or use --embedded"
        )
    source = "--url" if args.url else "AMI_URL"
    if mask_url(url) != url:  # checked before any prompt or message could show it
        where = (
            "--url carries a password, which other users see on the command line (ps, history)"
            if args.url
            else "AMI_URL carries a password"
        )
        raise UsageError(
            f"{where}: the secret goes in AMI_SECRET or at the prompt, never in the URL"
        )
    try:
        parse_url(url)  # before the prompt: a URL that cannot work is said at once
    except URLProblem as exc:
        raise UsageError(exc.worded(source)) from None
    secret = os.environ.get("AMI_SECRET")
    if secret is None:
        if not sys.stdin.isatty():
            raise UsageError("no secret: set AMI_SECRET (the prompt needs a terminal)")
        secret = getpass.getpass(f"AMI secret for {mask_url(url)}: ")
    try:
        session = Session.from_url(url, secret=secret, auth=auth, timeout=timeout, events=events)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with session:
        yield session


# --- actions --------------------------------------------------------------------------------


def _action_class(name: str, offered: Collection[str] = ()) -> type[Action]:
    registry = ACTIONS
    canonical = registry.canonical(name)
    if canonical is None:
        raise UsageError(_unknown_action(name, [*registry, *offered]))
    return registry[canonical]


def _unknown_action(name: str, names: Collection[str]) -> str:
    """The message for an action name that is neither a spec's nor the server's. The name
    is not repeated (a secret typed in the wrong place lands here: ``--secret S Ping``);
    the names it may have meant are, when it looks like a name."""
    hint = did_you_mean(name, names) if name.isidentifier() else ""
    return f"unknown action{hint} (ami list shows them all)"


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in out.split("-") if part)


def _option_names(attribute: str, info: FieldInfo) -> list[str]:
    """``--variable`` (from the header) first, then ``--variables`` (the attribute) if other."""
    names = [f"--{_slug(info.header)}"]
    from_attribute = f"--{attribute.rstrip('_').replace('_', '-')}"
    if from_attribute not in names:
        names.append(from_attribute)
    return names


def _action_parser(cls: type[Action], prog: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog or f"ami send {cls.ACTION}",
        description=cls.SUMMARY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--action-id", help="ActionID to send (default: one the session makes)")
    for attribute, info in cls.fields():
        if info.secret:
            continue  # a secret is never taken from the command line, where ps and history see it
        names = _option_names(attribute, info)
        help_text = info.doc or info.header
        if info.needs_value:
            help_text = f"(required) {help_text}"
        option = kind_of(info.kind).option(info)  # what its kind takes (sdk.model.kinds)
        settings: dict[str, Any] = {"dest": attribute, "help": help_text + option.help}
        if option.action == "flag":
            settings["action"] = argparse.BooleanOptionalAction
        elif option.action != "store":
            settings["action"] = option.action
        if option.type is not None:
            settings["type"] = option.type
        if option.metavar is not None:
            settings["metavar"] = option.metavar
        parser.add_argument(*names, **settings)
    return parser


def _build(
    cls: type[Action], argv: Sequence[str], args: argparse.Namespace, **given: Any
) -> Action:
    """Parse the action's options (and connection options after it) and build the action
    (with ``given`` too: a Generic's name): validation happens here, before any connection
    is made."""
    parser = _action_parser(cls, "ami send --generic NAME" if "name" in given else None)
    taken = frozenset(s for a in parser._actions for s in a.option_strings)
    _add_common(parser, taken=taken, late=True)
    try:
        ns = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse printed the reason (or --help)
        raise _ArgparseExit(exc.code) from None
    for name in ("url", "embedded", "auth", "timeout", "json", "verbose"):
        if name in ns and not any(name == attribute for attribute, _ in cls.fields()):
            setattr(args, name, getattr(ns, name))
    values = {
        name: getattr(ns, name)
        for name, info in cls.fields()
        if not info.secret and getattr(ns, name) is not None
    }
    if ns.action_id is not None:
        values["action_id"] = ns.action_id
    return cls(**given, **values)


class _ArgparseExit(Exception):
    def __init__(self, code: int | str | None) -> None:
        self.code = 0 if code is None else code


# --- output ---------------------------------------------------------------------------------


def _headers_json(message: Message) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in message.headers:
        json_add(out, name, value)
    return out


def response_json(response: Response) -> dict[str, object]:
    data: dict[str, object] = {
        "status": response.status,
        "ok": response.ok,
        "message": response.message,
        "action_id": response.action_id,
        "headers": _headers_json(response),
    }
    if response.output is not None:
        data["output"] = response.output
    if response.events or response.complete is not None:
        data["events"] = [e.to_json() for e in response.events]  # typed values
        data["complete"] = response.complete.to_json() if response.complete else None
    return data


def table(
    rows: list[dict[str, str]], out: TextIO, *, skip: Sequence[str] = ("Event", "ActionID")
) -> None:
    """Rows as a plain text table, a column per field name in order of first appearance."""
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns and c not in skip)
    if not columns:
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    print(text_table(columns, cells, width=sys.maxsize), file=out)  # cells never cut


def _print_json(value: object, out: TextIO, *, indent: int | None = 2) -> None:
    print(terminal_json(value, indent=indent), file=out, flush=True)


def _print_text(text: str, out: TextIO) -> None:
    """Text from the server: its lines kept, every other control character escaped."""
    print(terminal_text(text, keep="\n\t"), file=out, flush=True)


def _print_response(response: Response, out: TextIO, as_json: bool) -> None:
    if as_json:
        _print_json(response_json(response), out)
        return
    if response.output is not None:
        _print_text(f"Response: {response.status}", out)
        if response.output:
            _print_text(response.output, out)
        return
    for name, value in response.headers:
        if name != "EventList":
            _print_text(f"{name}: {value}", out)
    if response.events:
        print(file=out)
        table([e.headers.as_dict() for e in response.events], out)
    if response.complete is not None:
        _print_text(f"\n{response.complete.name}: {len(response.events)} items", out)


# --- commands -------------------------------------------------------------------------------


def _names_a_server(args: argparse.Namespace) -> bool:
    """``list`` and ``describe`` ask a server only when the command line names one."""
    return bool(args.url or args.embedded)


def _offered(args: argparse.Namespace) -> tuple[dict[str, ServerAction], str]:
    """The named server's ListCommands answer, by name, and how to call that server."""
    with _connect(args) as session:
        offered = session.server_actions()
        where = (
            f"the embedded Asterisk {args.embedded}"
            if args.embedded
            else f"{session.host}:{session.port}"
        )
    if args.embedded:
        from sdk.testing import PLAYS  # lazy: only --embedded, as in _connect

        if not PLAYS[args.embedded].recorded:
            where += " (its ListCommands derived from the release's documentation, not recorded)"
    return offered, where


def _note(message: str) -> None:
    """One ``ami:`` line on stderr that is no failure: what the output shows."""
    print("ami: " + terminal_text(message), file=sys.stderr, flush=True)


def _list_rows(
    offered: dict[str, ServerAction] | None, release: str | None = None
) -> list[dict[str, str]]:
    """A row per action of the specs (with ``release``, those that release has); with the
    server's list, its actions too, each marked ``offers`` or ``lacks`` (a spec the server
    does not offer)."""
    registry = ACTIONS
    specs = {name.lower(): name for name in registry}
    if offered is None:
        names = [n for n in registry if release is None or has_action(registry[n], release)]
    else:
        on_server = {name.lower(): name for name in offered}
        names = sorted({**on_server, **specs}.values(), key=str.lower)
    rows = []
    for name in names:
        spec = specs.get(name.lower())
        if spec is not None:
            cls = registry[spec]
            available, summary = ",".join(getattr(cls, "AVAILABLE_IN", ())), cls.SUMMARY
        else:
            assert offered is not None  # without a server's list, every name has a spec
            available, summary = "(no spec)", offered[name].synopsis
        row = {"action": name, "asterisk": available, "summary": summary}
        if offered is not None:
            row["server"] = "offers" if name.lower() in on_server else "lacks"
        rows.append(row)
    return rows


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    if args.release and _names_a_server(args):
        raise UsageError(
            "--release lists what a release's documentation has, --url and --embedded what"
            " a server offers: give one of them"
        )
    offered, where = _offered(args) if _names_a_server(args) else (None, "")
    rows = _list_rows(offered, args.release)
    if args.pattern:
        pattern = args.pattern.lower()
        rows = [row for row in rows if fnmatch.fnmatch(row["action"].lower(), pattern)]
        if not rows:
            word = args.pattern.strip("*?[]")  # what the glob was meant to find
            hint = did_you_mean(word, [*ACTIONS, *(offered or ())]) if word.isidentifier() else ""
            _fail(f"no action matches the pattern{hint} (ami list without one shows them all)")
            return EXIT_ACTION_ERROR
    if args.release:
        _note(
            f"the actions of the SDK's specs that Asterisk {args.release} has (its"
            f" documentation, {DOCS_VERSIONS[args.release]}); a server may lack some:"
            " --url or --embedded asks it"
        )
    elif offered is None:
        _note("the actions of the SDK's specs; with --url or --embedded, what that server offers")
    else:
        lacks = sum(row["server"] == "lacks" for row in rows)
        _note(
            f"what {where} offers (its ListCommands answer), and {lacks} specs it lacks,"
            " marked lacks"
        )
    if args.json:
        _print_json(rows, out)
    else:
        table(rows, out, skip=())
    return EXIT_OK


def cmd_describe(args: argparse.Namespace, out: TextIO) -> int:
    if args.event is not None:
        return _describe_event(args.event, args, out)
    if args.action is None:
        raise UsageError("describe needs an ACTION, or --event EVENT")
    offered, where = _offered(args) if _names_a_server(args) else (None, "")
    registry = ACTIONS
    on_server = {name.lower(): name for name in offered or ()}
    if (
        offered is not None
        and registry.canonical(args.action) is None
        and args.action.lower() in on_server
    ):
        return _describe_without_spec(offered[on_server[args.action.lower()]], where, args, out)
    cls = _action_class(args.action, on_server.values())
    notes = field_notes(cls, args.release) if args.release else {}
    fields = [
        {
            "option": "(never on the command line)"
            if info.secret
            else " ".join(_option_names(attribute, info)),
            "header": info.header,
            "kind": info.kind + _choices_text(info),
            "required": _required_text(info),
            "asterisk": ",".join(field_majors(cls, info)),
            **({f"in {args.release}": notes.get(attribute, "")} if args.release else {}),
            "doc": info.doc,
        }
        for attribute, info in cls.fields()
    ]
    server = None if offered is None else "offers" if cls.ACTION.lower() in on_server else "lacks"
    if args.json:
        data = {"action": cls.ACTION, "summary": cls.SUMMARY, "fields": fields}
        if server is not None:
            data["server"] = server
        _print_json(data, out)
        return EXIT_OK
    print(f"{cls.ACTION}: {cls.SUMMARY}", file=out)
    for label, attr in (
        ("module", "MODULE"),
        ("write class", "PRIVILEGE"),
        ("asterisk", "AVAILABLE_IN"),
    ):
        value = getattr(cls, attr, "")
        if value:
            print(f"  {label}: {','.join(value) if isinstance(value, tuple) else value}", file=out)
    if server == "offers":
        print(f"  {where}: offers it", file=out)
    elif server == "lacks":
        print(f"  {where}: lacks it (not in its ListCommands answer)", file=out)
    print(file=out)
    if fields:
        table(fields, out, skip=())
    else:
        print("(no fields)", file=out)
    return EXIT_OK


def _describe_event(name: str, args: argparse.Namespace, out: TextIO) -> int:
    """``ami describe --event NAME``: an event's spec, its headers and their kinds."""
    canonical = EVENTS.canonical(name)
    if canonical is None:
        hint = did_you_mean(name, EVENTS) if name.replace("-", "").isalnum() else ""
        raise UsageError(f"unknown event{hint}")
    cls = EVENTS[canonical]
    rows = cls.describe()
    facts = {
        "read class": cls.READ_CLASS or "(none: a list item, sent to the action's caller)",
        "asterisk": ",".join(cls.AVAILABLE_IN),
        "documented": "yes" if cls.DOCUMENTED else "no (written from Asterisk's sources)",
        "spec": cls.SPEC,
    }
    if args.json:
        _print_json(
            {"event": cls.EVENT, "summary": cls.SUMMARY, "class": cls.__name__,
             "read_class": cls.READ_CLASS, "asterisk": list(cls.AVAILABLE_IN),
             "documented": cls.DOCUMENTED, "spec": cls.SPEC, "any_headers": cls.ANY_HEADERS,
             "headers": rows},
            out,
        )  # fmt: skip
        return EXIT_OK
    _print_text(f"{cls.EVENT}: {cls.SUMMARY or '(no summary)'}", out)
    for label, value in facts.items():
        _print_text(f"  {label}: {value}", out)
    if cls.ANY_HEADERS:
        _print_text("  carries headers of any name besides these", out)
    print(file=out)
    if rows:
        empty = [key for key in rows[0] if not any(row[key] for row in rows)]
        table(rows, out, skip=empty)  # asterisk, doc: only when some header has one
    else:
        print("(no headers but Event)", file=out)
    return EXIT_OK


def _choices_text(info: FieldInfo) -> str:
    """`` (a|b|c)``, and the values of each release that takes fewer: ``; 16: a|b``."""
    if not info.choices:
        return ""
    by_release = "".join(f"; {major}: {'|'.join(values)}" for major, values in info.choices_in)
    return f" ({'|'.join(info.choices)}{by_release})"


def _required_text(info: FieldInfo) -> str:
    """``yes``, or the releases that require it (``in 16``), or nothing."""
    if info.needs_value:
        return "yes"
    return f"in {','.join(info.required_in)}" if info.required_in else ""


def _describe_without_spec(
    found: ServerAction, where: str, args: argparse.Namespace, out: TextIO
) -> int:
    """An action the server offers and no spec covers: what the server says of it."""
    if args.json:
        _print_json(
            {"action": found.name, "summary": found.synopsis, "fields": [], "server": "offers",
             "spec": False},
            out,
        )  # fmt: skip
        return EXIT_OK
    _print_text(f"{found.name}: {found.synopsis}", out)
    if found.privilege:
        _print_text(f"  write class: {','.join(found.privilege)}", out)
    print(f"  {where}: offers it; no spec here, so its fields are unknown", file=out)
    _print_text(f"  send it with: ami send --generic {found.name} --header NAME=VALUE ...", out)
    return EXIT_OK


def _checked(
    cls: type[Action], argv: Sequence[str], args: argparse.Namespace, **given: Any
) -> Action:
    """``_build``, its ValidationError worded for the command line: each problem names the
    option (``--call-id``, not the attribute ``call_id``), and no value typed is repeated
    (``***``): one may be a secret typed in the wrong place."""
    try:
        return _build(cls, argv, args, **given)
    except ValidationError as exc:
        options = {
            attribute: _option_names(attribute, info)[0]
            for attribute, info in cls.fields()
            if not info.secret
        }
        options.update(action_id="--action-id", name="--generic NAME")
        problems = [
            attrs.evolve(p, field=options[p.field]) if p.field in options else p for p in exc.errors
        ]
        text = str(ValidationError(exc.action, problems))
        typed = typed_values([*argv, *map(str, given.values())])
        for value in sorted(typed, key=len, reverse=True):
            text = text.replace(value, "***")
        raise UsageError(text) from None


def _send(session: Session, action: Action) -> Response:
    """Send ``action``. One that the server's version alone refused is tried again once the
    server's own list is known: a module of its own may offer it (and if not, the list's
    refusal is the one shown)."""
    try:
        return session.send(action)
    except ActionUnavailable:
        session.server_actions()
        return session.send(action)


def _generic(args: argparse.Namespace) -> Action:
    """``ami send --generic NAME ...``: a ``Generic``, with its checks (and none of the
    secret headers, which would stand on the command line)."""
    if args.action is None:
        raise UsageError(
            "--generic needs the action's name: ami send --generic NAME --header NAME=VALUE"
        )
    action = _checked(Generic, args.fields, args, name=args.action)
    if any(name.lower() in SECRET_HEADERS for name, _ in getattr(action, "headers", ())):
        raise UsageError(
            "a Secret or Key header is never taken from the command line, where other"
            " users see it (ps, history): the login's secret comes from AMI_SECRET"
        )
    return action


def cmd_send(args: argparse.Namespace, out: TextIO) -> int:
    if args.generic:
        action = _generic(args)
    elif args.action is None:
        args.send_parser.print_help(sys.stderr)
        return EXIT_USAGE
    else:
        action = _checked(_action_class(args.action), args.fields, args)
    _configure_logging(args.verbose)
    with _connect(args) as session:
        if args.verbose:
            _print_text(action.describe(), sys.stderr)
        response = _send(session, action)
    _print_response(response, out, args.json)
    if not response.ok:
        _fail(f"{action.ACTION} failed: {response.message or 'Error'}")
        return EXIT_ACTION_ERROR
    return EXIT_OK


def cmd_events(args: argparse.Namespace, out: TextIO) -> int:
    match = matcher(args.filter) if args.filter else None
    count = 0
    with _connect(args, events=args.classes) as session:
        while args.count is None or count < args.count:
            for event in session.events(timeout=1.0):
                if match is not None and not match(event.name):
                    continue
                if args.json:
                    _print_json(event.to_json(), out, indent=None)  # typed values
                else:
                    _print_text(f"{event}\n", out)
                count += 1
                if args.count is not None and count >= args.count:
                    break
            if session.closed:
                raise ConnectionError("the server ended the session")
    return EXIT_OK


def cmd_notify(args: argparse.Namespace, out: TextIO) -> int:
    from sdk.bulk import ConfigError, bulk_notify  # lazy: bulk and YAML add ~25% to start-up

    targets: list[tuple[str, str]] | str
    if args.csv:
        targets = args.csv
    else:
        targets = []
        for item in args.target or []:
            pbx, sep, target = item.partition(":")
            if not sep or not pbx or not target:
                raise UsageError("--target takes PBX:TARGET: a PBX of the config, a colon, a phone")
            targets.append((pbx, target))
        if not targets:
            raise UsageError("give --csv FILE or at least one --target PBX:TARGET")
    try:
        report = bulk_notify(
            targets,
            pbxs=args.pbx_config,
            event=args.event,
            content=[line for text in args.content for line in body_lines(text)]
            if args.content is not None
            else None,
            content_type=args.content_type,
            rate=args.rate,
            timeout=args.timeout if args.timeout is not None else 10.0,
            results=args.results,
            retry_timeouts=args.retry_timeouts,
            dry_run=args.dry_run,
            progress=not args.no_progress,
            encoding=args.encoding,
        )
    except (ConfigError, OSError) as exc:
        raise UsageError(url_words(exc)) from None
    if args.json:
        _print_json(
            {"counts": report.counts, "skipped": report.skipped, "interrupted": report.interrupted,
             "results": [r.row() for r in report.results]},
            out,
        )  # fmt: skip
    else:
        failed = [r for r in report.results if r.status not in ("ok", "dry-run")]
        if failed:
            table([r.row() for r in failed], out, skip=("time", "action_id"))
            print(file=out)
        _print_text(str(report), out)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return (
        EXIT_OK if all(r.status in ("ok", "dry-run") for r in report.results) else EXIT_ACTION_ERROR
    )


def _send_epilog() -> str:
    """The end of ``ami send --help``: every action's name, wrapped."""
    names = textwrap.fill(" ".join(ACTIONS), width=100, initial_indent="  ", subsequent_indent="  ")
    return (
        "ACTION is one of these (ami list shows their summaries, ami describe ACTION or\n"
        "ami send ACTION --help its options):\n" + names + "\n\n"
        "--generic sends an action that no spec covers, by name, with the same checks:\n"
        "  ami send --generic MyModuleReload --header Module=res_mine\n\n"
        + textwrap.fill(EXIT_STATUS, width=100)
    )


def build_parser() -> argparse.ArgumentParser:
    from sdk.version import version  # lazy: it reads package metadata on first use

    common = _common_options()
    parser = _Parser(
        prog="ami",
        description="Send Asterisk Manager Interface actions from a shell.",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("--version", action="version", version=f"ami {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p_list = sub.add_parser(
        "list",
        parents=[common],
        help="list the actions of the specs, or what a server offers (--url, --embedded)",
        description="List the actions of the specs. With --url or --embedded: what that"
        " server offers (its ListCommands answer), and the specs it lacks, marked lacks."
        " AMI_URL alone does not make it ask a server.",
        epilog=EXIT_STATUS,
    )
    p_list.add_argument("pattern", nargs="?", help="a glob on action names, e.g. 'PJSIP*'")
    p_list.add_argument(
        "--release",
        choices=DOCUMENTED,
        help="only the actions this Asterisk release has, as its documentation says",
    )
    p_list.set_defaults(func=cmd_list)
    p_describe = sub.add_parser(
        "describe",
        parents=[common],
        help="show an action's fields and options",
        description="Show an action's fields and options; with --url or --embedded, also"
        " whether that server offers it (an action it offers without a spec is shown too).",
    )
    p_describe.add_argument("action", nargs="?")
    p_describe.add_argument(
        "--event", metavar="EVENT", help="describe an event instead: its headers and their kinds"
    )
    p_describe.add_argument(
        "--release",
        choices=DOCUMENTED,
        help="also say how this Asterisk release takes each field (lacks, requires, values)",
    )
    p_describe.set_defaults(func=cmd_describe)
    p_send = sub.add_parser(
        "send",
        parents=[common],
        help="send one action; its options come from its spec (ami send ACTION --help)",
        usage="ami send [options] ACTION [the action's options]\n"
        "       ami send [options] --generic NAME [--header NAME=VALUE]..."
        " [--variable NAME=VALUE]...",
        description="Send one action. Its options come from its spec (ami send ACTION --help"
        " lists them).\nThe connection and output options may come before ACTION or after"
        " its own.",
        epilog=_send_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_send.add_argument(
        "--generic",
        action="store_true",
        help="send ACTION by name, without a spec: its headers come from --header NAME=VALUE,"
        " variables from --variable NAME=VALUE (each repeatable)",
    )
    p_send.add_argument("action", nargs="?", metavar="ACTION", help="the action to send")
    p_send.add_argument(
        "fields", nargs=argparse.REMAINDER, metavar="...", help="the action's options"
    )
    p_send.set_defaults(func=cmd_send, send_parser=p_send)
    p_send.unrecognized_hint = " (the action's own options come after ACTION)"
    p_events = sub.add_parser("events", parents=[common], help="print events until interrupted")
    p_events.add_argument("--filter", help="event name or glob, e.g. 'Peer*'")
    p_events.add_argument(
        "--classes", default="on", help="event classes to ask for (default: on = all)"
    )
    p_events.add_argument("--count", type=int, help="stop after this many events")
    p_events.set_defaults(func=cmd_events)
    p_notify = sub.add_parser(
        "notify",
        parents=[common],
        help="send a NOTIFY to many phones across PBXs (rate-limited, resumable)",
        description="Send a SIP NOTIFY to every target, with SIPnotify or PJSIPNotify as each PBX offers.",
    )
    p_notify.add_argument(
        "--pbx-config", required=True, help="YAML: PBX name -> url (ami://user@host:port), rate"
    )
    p_notify.add_argument("--csv", help="targets: a CSV with columns pbx, target[, event, content]")
    p_notify.add_argument(
        "--encoding",
        default="utf-8",
        help="the targets CSV's encoding, e.g. cp1252 (default: UTF-8, with or without a BOM)",
    )
    p_notify.add_argument(
        "--target", action="append", metavar="PBX:TARGET", help="one target (repeatable)"
    )
    p_notify.add_argument(
        "--event", default="check-sync", help="the Event header (default: check-sync)"
    )
    p_notify.add_argument(
        "--content",
        action="append",
        metavar="LINE",
        help="body line(s), split only at line ends (repeatable)",
    )
    p_notify.add_argument("--content-type", help="the body's Content-Type (needed with --content)")
    p_notify.add_argument(
        "--rate", type=float, help="NOTIFYs a second per PBX (default: the config's, or 20)"
    )
    p_notify.add_argument("--results", help="CSV to append results to; rerun with it to resume")
    p_notify.add_argument(
        "--retry-timeouts", action="store_true", help="resend targets that timed out before"
    )
    p_notify.add_argument(
        "--dry-run", action="store_true", help="validate everything, send nothing"
    )
    p_notify.add_argument("--no-progress", action="store_true", help="no progress bar")
    p_notify.set_defaults(func=cmd_notify)
    return parser


class _TerminalFormatter(logging.Formatter):
    """Log lines as a terminal may show them: what the server sent (a banner, a message) is
    escaped like the rest of the output."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record), keep="\n\t")


def _configure_logging(verbose: int | None) -> None:
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_TerminalFormatter(logging.BASIC_FORMAT))
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO, handlers=[handler]
        )


def _fail(message: str) -> None:
    """One ``ami:`` message on stderr; any server text in it escaped."""
    print("ami: " + terminal_text(message, keep="\n"), file=sys.stderr)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run ``ami ARGV``, writing to ``out`` (default: stdout); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv, out or sys.stdout)
    except BrokenPipeError:  # ami list | head -1: quietly, as a shell expects (sdk.pipes)
        return pipes.reader_gone()


def _run(argv: list[str], out: TextIO) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if args.command is None:  # a bare ami: what it can do
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if extra:  # for send, words before ACTION: the action's own options come after it
        try:
            getattr(args, "send_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit:
            return EXIT_USAGE
    _configure_logging(args.verbose)
    command: Callable[[argparse.Namespace, TextIO], int] = args.func  # set_defaults(func=)
    try:
        return command(args, out)
    except _ArgparseExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except (UsageError, ValidationError) as exc:
        _fail(url_words(exc))
        return EXIT_USAGE
    except TimeoutError as exc:
        _fail(f"timeout: {url_words(exc)}")
        return EXIT_TIMEOUT
    except (AuthenticationError, ConnectionError, ProtocolError) as exc:
        _fail(url_words(exc))
        return EXIT_CONNECTION
    except AMIError as exc:
        _fail(url_words(exc))
        return EXIT_ACTION_ERROR
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED


def main_exit() -> None:
    """Console-script entry point: ``ami`` (a reader that goes away: ``sdk.pipes``)."""
    pipes.run(main)
