"""``ami``: send AMI actions from a shell (also ``python -m sdk``).

::

    ami list [PATTERN]
    ami describe SIPnotify
    ami send SIPnotify --channel phone1 --variable Event=check-sync
    ami send SIPpeers --json
    ami events --filter 'Peer*'
    ami notify --pbx-config pbx.yaml --csv targets.csv --event check-sync --results done.csv

The options of ``ami send ACTION`` are generated from the action's spec (its field
metadata). The connection comes from ``--url ami://user@host:port`` or ``AMI_URL``; the
secret from ``AMI_SECRET`` or a prompt that does not echo; it is never accepted on the command
line. ``--embedded`` runs against the embedded AMI server instead.

Exit status: 0 success; 1 the server answered Error; 2 bad usage or input (nothing sent);
3 connection, login or protocol failure; 4 timeout; 130 interrupted.
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
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO

from sdk.action import Action
from sdk.client.hub import matcher
from sdk.display import mask_url, terminal_json, terminal_text, text_table
from sdk.errors import (
    AMIError,
    AuthenticationError,
    ConnectionError,
    ProtocolError,
    TimeoutError,
    ValidationError,
)
from sdk.fields import FieldInfo
from sdk.message import Message, Response
from sdk.model.kinds import kind_of
from sdk.session import Session

__all__ = ["main"]

EXIT_OK, EXIT_ACTION_ERROR, EXIT_USAGE, EXIT_CONNECTION, EXIT_TIMEOUT, EXIT_INTERRUPTED = (
    0,
    1,
    2,
    3,
    4,
    130,
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._argv: list[str] = []

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
        for pattern, replacement in _ECHOES:
            message = pattern.sub(replacement, message)
        if any(value in message for value in self._typed_values()):
            message = "bad arguments (not repeated here: one may be a secret); see --help"
        super().error(message)

    def _typed_values(self) -> set[str]:
        """The words of the command line that are not option names (nor parts of them)."""
        known = set(self._option_string_actions)
        values = set()
        for word in self._argv:
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
        choices=("20", "22"),
        help="run against the embedded AMI server playing Asterisk 20 (default) or 22",
    )
    add(group, "--auth", choices=("md5", "plain"), help="login method (default: md5)")
    add(group, "--timeout", type=float, help="seconds to wait for each answer (default: 10)")
    output = parser.add_argument_group("output")
    add(output, "--json", action="store_true", help="print JSON instead of text")
    add(output, "-v", "--verbose", action="count", help="log to stderr (-vv: debug)")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common)
    return common


@contextlib.contextmanager
def _connect(args: argparse.Namespace, *, events: bool | str = False) -> Iterator[Session]:
    auth = args.auth or "md5"
    timeout = args.timeout if args.timeout is not None else 10.0
    if args.embedded:
        from sdk.testing import AMIServer

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
    if mask_url(url) != url:  # checked before any prompt or message could show it
        where = (
            "--url carries a password, which other users see on the command line (ps, history)"
            if args.url
            else "AMI_URL carries a password"
        )
        raise UsageError(
            f"{where}: the secret goes in AMI_SECRET or at the prompt, never in the URL"
        )
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


def _registry() -> Any:
    from sdk.actions import ACTIONS

    return ACTIONS


def _action_class(name: str) -> type[Action]:
    registry = _registry()
    canonical = registry.canonical(name)
    if canonical is None:
        if not name.isidentifier():  # not repeated: it may be a secret typed in the wrong place
            raise UsageError("unknown action: an action name is a word (ami list shows them all)")
        close = [n for n in registry if n.lower().startswith(name.lower()[:4])][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown action {name!r}{hint} (ami list shows them all)")
    return registry[canonical]


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


def _action_parser(cls: type[Action]) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"ami send {cls.ACTION}",
        description=cls.SUMMARY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--action-id", help="ActionID to send (default: one the session makes)")
    for attribute, info in cls.fields():
        if info.secret:
            continue  # a secret is never taken from the command line, where ps and history see it
        names = _option_names(attribute, info)
        help_text = info.doc or info.header
        if info.required:
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


def _build(cls: type[Action], argv: Sequence[str], args: argparse.Namespace) -> Action:
    """Parse the action's options (and connection options after it) and build the action:
    validation happens here, before any connection is made."""
    parser = _action_parser(cls)
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
    return cls(**values)


class _ArgparseExit(Exception):
    def __init__(self, code: int | str | None) -> None:
        self.code = 0 if code is None else code


# --- output ---------------------------------------------------------------------------------


def _headers_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in message.headers:
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def response_json(response: Response) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": response.status,
        "ok": response.ok,
        "message": response.message,
        "action_id": response.action_id,
        "headers": _headers_json(response),
    }
    if response.output is not None:
        data["output"] = response.output
    if response.events or response.complete is not None:
        data["events"] = [_headers_json(e) for e in response.events]
        data["complete"] = _headers_json(response.complete) if response.complete else None
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


def _print_json(value: Any, out: TextIO, *, indent: int | None = 2) -> None:
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


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    registry = _registry()
    names = [
        n for n in registry if not args.pattern or fnmatch.fnmatch(n.lower(), args.pattern.lower())
    ]
    rows = []
    for name in names:
        cls = registry[name]
        available = ",".join(getattr(cls, "AVAILABLE_IN", ()))
        rows.append({"action": name, "asterisk": available, "summary": cls.SUMMARY})
    if args.json:
        _print_json(rows, out)
    else:
        table(rows, out, skip=())
    return EXIT_OK


def cmd_describe(args: argparse.Namespace, out: TextIO) -> int:
    cls = _action_class(args.action)
    fields = [
        {
            "option": "(never on the command line)"
            if info.secret
            else " ".join(_option_names(attribute, info)),
            "header": info.header,
            "kind": info.kind + (f" ({'|'.join(info.choices)})" if info.choices else ""),
            "required": "yes" if info.required else "",
            "doc": info.doc,
        }
        for attribute, info in cls.fields()
    ]
    if args.json:
        _print_json({"action": cls.ACTION, "summary": cls.SUMMARY, "fields": fields}, out)
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
    print(file=out)
    if fields:
        table(fields, out, skip=())
    else:
        print("(no fields)", file=out)
    return EXIT_OK


def cmd_send(args: argparse.Namespace, out: TextIO) -> int:
    cls = _action_class(args.action)
    action = _build(cls, args.fields, args)
    _configure_logging(args.verbose)
    with _connect(args) as session:
        if args.verbose:
            _print_text(action.describe(), sys.stderr)
        response = session.send(action)
    _print_response(response, out, args.json)
    if not response.ok:
        _fail(f"{cls.ACTION} failed: {response.message or 'Error'}")
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
                    _print_json(_headers_json(event), out, indent=None)
                else:
                    _print_text(f"{event}\n", out)
                count += 1
                if args.count is not None and count >= args.count:
                    break
            if session.closed:
                raise ConnectionError("the server ended the session")
    return EXIT_OK


def cmd_notify(args: argparse.Namespace, out: TextIO) -> int:
    from sdk.bulk import ConfigError, bulk_notify
    from sdk.notify import body_lines

    targets: list[Any] | str
    if args.csv:
        targets = args.csv
    else:
        targets = []
        for item in args.target or []:
            pbx, sep, target = item.partition(":")
            if not sep or not pbx or not target:
                raise UsageError(f"--target takes PBX:TARGET, not {item!r}")
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
        raise UsageError(str(exc)) from None
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


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = _Parser(
        prog="ami",
        description="Send Asterisk Manager Interface actions from a shell.",
        epilog="Exit status: 0 ok, 1 server answered Error, 2 bad input, 3 connection/login, 4 timeout.",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    p_list = sub.add_parser("list", parents=[common], help="list the actions the SDK knows")
    p_list.add_argument("pattern", nargs="?", help="a glob on action names, e.g. 'PJSIP*'")
    p_list.set_defaults(func=cmd_list)
    p_describe = sub.add_parser(
        "describe", parents=[common], help="show an action's fields and options"
    )
    p_describe.add_argument("action")
    p_describe.set_defaults(func=cmd_describe)
    p_send = sub.add_parser(
        "send",
        parents=[common],
        help="send one action; its options come from its spec (ami send ACTION --help)",
        add_help=False,
    )
    p_send.add_argument("action")
    p_send.add_argument("fields", nargs=argparse.REMAINDER, help="the action's options")
    p_send.set_defaults(func=cmd_send)
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
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if args.command == "send":
        args.fields = [*args.fields, *extra]
    elif extra:
        try:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit:
            return EXIT_USAGE
    _configure_logging(args.verbose)
    try:
        return args.func(args, out)
    except _ArgparseExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except (UsageError, ValidationError) as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except TimeoutError as exc:
        _fail(f"timeout: {exc}")
        return EXIT_TIMEOUT
    except (AuthenticationError, ConnectionError, ProtocolError) as exc:
        _fail(str(exc))
        return EXIT_CONNECTION
    except AMIError as exc:
        _fail(str(exc))
        return EXIT_ACTION_ERROR
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED


def main_exit() -> None:
    """Console-script entry point: ``ami``."""
    sys.exit(main())
