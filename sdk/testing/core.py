"""Core actions of the embedded server: channels, variables, AstDB, CLI, filters, Originate.

Each handler writes what Asterisk's own handler writes, with the texts the recordings show;
where a recording has no example (an error Asterisk has but the lab never hit), the text is
the one in Asterisk's source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sdk.model.fields import TRUE_WORDS
from sdk.testing.pbx import Channel

if TYPE_CHECKING:
    from sdk.testing.server import AMIServer, Connection, ReceivedMessage

__all__ = ["CLI_COMMANDS", "HANDLERS", "cli_output"]


def _send_list(
    conn: Connection,
    request: ReceivedMessage,
    message: str,
    events: list[tuple[str, list[tuple[str, str]]]],
    complete: str,
    *,
    privilege: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> None:
    """A list answer: the start, one event per item (with ``privilege``, if given), the
    completing event with ``extra`` headers after ListItems (all one write)."""
    conn.respond(request, "Success", message, list_start=True)
    for name, headers in events:
        conn.event(name, headers, privilege=privilege)
    closing = [*_id(request), ("EventList", "Complete"), ("ListItems", str(len(events))), *extra]
    conn.event(complete, closing)


def _id(request: ReceivedMessage) -> list[tuple[str, str]]:
    action_id = request.get("ActionID")
    return [("ActionID", action_id)] if action_id else []


# --- channels -----------------------------------------------------------------------------


def _status_fields(channel: Channel, variables: list[str]) -> list[tuple[str, str]]:
    tech = channel.name.split("/", 1)[0]
    fields = channel.snapshot() + [
        ("Type", tech),
        ("DNID", ""),
        ("EffectiveConnectedLineNum", "<unknown>"),
        ("EffectiveConnectedLineName", "<unknown>"),
        ("TimeToHangup", "0"),
        ("BridgeID", ""),
        ("Application", channel.application),
        ("Data", channel.data),
        ("Nativeformats", "(slin)"),
        ("Readformat", "slin"),
        ("Readtrans", ""),
        ("Writeformat", "slin"),
        ("Writetrans", ""),
        ("Callgroup", "0"),
        ("Pickupgroup", "0"),
        ("Seconds", str(channel.seconds)),
    ]
    fields += [("Variable", f"{name}={channel.variables.get(name, '')}") for name in variables]
    return fields


def status(conn: Connection, request: ReceivedMessage) -> None:
    pbx = conn.server.pbx
    name = request.get("Channel") or ""
    variables = [v.strip() for v in (request.get("Variables") or "").split(",") if v.strip()]
    if name:
        channel = pbx.find_channel(name)
        if channel is None:
            conn.error(request, "No such channel")
            return
        channels = [channel]
    else:
        channels = pbx.listing()
    items = [("Status", _status_fields(channel, variables) + _id(request)) for channel in channels]
    _send_list(
        conn,
        request,
        "Channel status will follow",
        items,
        "StatusComplete",
        privilege="Call",
        extra=[("Items", str(len(items)))],
    )


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def core_show_channels(conn: Connection, request: ReceivedMessage) -> None:
    items = [
        (
            "CoreShowChannel",
            _id(request)
            + channel.snapshot()
            + [
                ("Application", channel.application),
                ("ApplicationData", channel.data),
                ("Duration", _duration(channel.seconds)),
                ("BridgeId", ""),
            ],
        )
        for channel in conn.server.pbx.listing()
    ]
    _send_list(conn, request, "Channels will follow", items, "CoreShowChannelsComplete")


def hangup(conn: Connection, request: ReceivedMessage) -> None:
    name = request.get("Channel") or ""
    if not name:
        conn.error(request, "No channel specified")
        return
    channel = conn.server.pbx.find_channel(name)
    if channel is None:
        conn.error(request, "No such channel")
        return
    hang_up(conn.server, [channel], cause=request.get("Cause") or "16")
    conn.ack(request, "Channel Hungup")


def hang_up(server: AMIServer, channels: list[Channel], cause: str = "16") -> None:
    """Remove channels and announce each with a Hangup event."""
    text = {"16": "Normal Clearing", "17": "User busy", "19": "No answer"}.get(cause, "Unknown")
    for channel in server.pbx.remove(channels):
        server.broadcast(
            "Hangup", "call", channel.snapshot() + [("Cause", cause), ("Cause-txt", text)]
        )


# --- variables and AstDB ------------------------------------------------------------------


def _variables_of(conn: Connection, request: ReceivedMessage) -> tuple[str, dict[str, str]] | None:
    """The variable named and where it lives (a channel's, or the globals); None after an error."""
    variable = request.get("Variable") or ""
    if not variable:
        conn.error(request, "No variable specified")
        return None
    name = request.get("Channel") or ""
    if not name:
        return variable, conn.server.pbx.globals
    channel = conn.server.pbx.find_channel(name)
    if channel is None:
        conn.error(request, "No such channel")
        return None
    return variable, channel.variables


def getvar(conn: Connection, request: ReceivedMessage) -> None:
    found = _variables_of(conn, request)
    if found is not None:
        variable, scope = found
        conn.respond(
            request, "Success", headers=[("Variable", variable), ("Value", scope.get(variable, ""))]
        )


def setvar(conn: Connection, request: ReceivedMessage) -> None:
    found = _variables_of(conn, request)
    if found is not None:
        variable, scope = found
        scope[variable] = request.get("Value") or ""
        conn.ack(request, "Variable Set")


def _db_key(conn: Connection, request: ReceivedMessage, stop: str = "") -> tuple[str, str] | None:
    """Family and Key of an AstDB action; None after an error (DBGet's texts end in a stop)."""
    family, key = request.get("Family") or "", request.get("Key") or ""
    if not family:
        conn.error(request, f"No family specified{stop}")
        return None
    if not key:
        conn.error(request, f"No key specified{stop}")
        return None
    return family, key


def db_put(conn: Connection, request: ReceivedMessage) -> None:
    found = _db_key(conn, request)
    if found is not None:
        conn.server.pbx.astdb[found] = request.get("Val") or ""
        conn.ack(request, "Updated database successfully")


def db_get(conn: Connection, request: ReceivedMessage) -> None:
    found = _db_key(conn, request, ".")
    if found is None:
        return
    value = conn.server.pbx.astdb.get(found)
    if value is None:
        conn.error(request, "Database entry not found")
        return
    family, key = found
    event = [("Family", family), ("Key", key), ("Val", value)] + _id(request)
    _send_list(conn, request, "Result will follow", [("DBGetResponse", event)], "DBGetComplete")


# --- the core -----------------------------------------------------------------------------


def core_status(conn: Connection, request: ReceivedMessage) -> None:
    pbx = conn.server.pbx
    conn.respond(
        request,
        "Success",
        headers=[
            ("CoreStartupDate", pbx.started.strftime("%Y-%m-%d")),
            ("CoreStartupTime", pbx.started.strftime("%H:%M:%S")),
            ("CoreReloadDate", pbx.reloaded.strftime("%Y-%m-%d")),
            ("CoreReloadTime", pbx.reloaded.strftime("%H:%M:%S")),
            ("CoreCurrentCalls", str(pbx.current_calls)),
            ("CoreProcessedCalls", str(pbx.processed_calls)),
        ],
    )


def core_settings(conn: Connection, request: ReceivedMessage) -> None:
    server = conn.server
    conn.respond(
        request,
        "Success",
        headers=[
            ("AMIversion", server.banner.rpartition("/")[2]),
            ("AsteriskVersion", server.asterisk_version),
            ("SystemName", ""),
            ("CoreMaxCalls", "0"),
            ("CoreMaxLoadAvg", "0.000000"),
            ("CoreRunUser", ""),
            ("CoreRunGroup", ""),
            ("CoreMaxFilehandles", "0"),
            ("CoreRealTimeEnabled", "No"),
            ("CoreCDRenabled", "Yes"),
            ("CoreHTTPenabled", "No"),
            ("SoundsSearchCustomDir", "No"),
        ],
    )


def extension_state(conn: Connection, request: ReceivedMessage) -> None:
    exten = request.get("Exten") or ""
    context = request.get("Context") or ""
    hint = conn.server.pbx.hints.get((context, exten), "")
    status_code, text = ("0", "Idle") if hint else ("-1", "Unknown")
    conn.respond(
        request,
        "Success",
        "Extension Status",
        headers=[
            ("Exten", exten),
            ("Context", context),
            ("Hint", hint),
            ("Status", status_code),
            ("StatusText", text),
        ],
    )


# --- the CLI ------------------------------------------------------------------------------

CLI_COMMANDS: dict[str, Callable[[Connection], str]] = {}


def cli_command(words: str) -> Callable[[Callable[[Connection], str]], Callable[[Connection], str]]:
    def register(func: Callable[[Connection], str]) -> Callable[[Connection], str]:
        CLI_COMMANDS[words] = func
        return func

    return register


@cli_command("core show version")
def _core_show_version(conn: Connection) -> str:
    return f"Asterisk {conn.server.asterisk_version} {conn.server.build}\n"


@cli_command("core show uptime")
def _core_show_uptime(conn: Connection) -> str:
    return (
        f"System uptime: {conn.server.uptime} seconds\nLast reload: {conn.server.uptime} seconds\n"
    )


@cli_command("core show channels")
def _core_show_channels(conn: Connection) -> str:
    channels = conn.server.pbx.listing()
    lines = [f"{'Channel':<20.20} {'Location':<20.20} {'State':<7.7} Application(Data)"]
    for channel in channels:
        location = f"{channel.exten}@{channel.context}:{channel.priority}"
        app = f"{channel.application}({channel.data})"
        lines.append(f"{channel.name:<20.20} {location:<20.20} {channel.state_desc:<7.7} {app}")
    calls = conn.server.pbx.current_calls
    lines += [
        f"{len(channels)} active channel{'s' if len(channels) != 1 else ''}",
        f"{calls} active call{'s' if calls != 1 else ''}",
        f"{conn.server.pbx.processed_calls} calls processed",
    ]
    return "\n".join(lines) + "\n"


# "!" runs a shell in Asterisk's CLI; it is here only because its presence shapes the
# "core show help ..." hint Asterisk gives for an unknown command (see _best_prefix).
_KNOWN_WORDS = ["!"]


def _best_prefix(words: list[str]) -> str:
    """The words up to the first that no command continues (Asterisk's ``find_best``)."""
    commands = [c.split() for c in [*CLI_COMMANDS, *_KNOWN_WORDS]]
    chosen: list[str] = []
    for index, word in enumerate(words):
        chosen.append(word)
        found = False
        for command in commands:
            prefix_ok = [c.lower() for c in command[:index]] == [w.lower() for w in chosen[:index]]
            if len(command) > index and prefix_ok and command[index].lower() == word.lower():
                found = True
            elif len(command) == index + 1 and prefix_ok:
                found = True  # a mismatch on the last word of both still counts as a candidate
        if not found:
            break
    return " ".join(chosen)


def cli_output(conn: Connection, command: str) -> tuple[bool, str]:
    """Run a CLI command: (succeeded, output text)."""
    words = command.split()
    handler = CLI_COMMANDS.get(" ".join(w.lower() for w in words))
    if handler is None:
        hint = _best_prefix(words)
        return (
            False,
            f"No such command '{command}' (type 'core show help {hint}' for other possible commands)\n",
        )
    return True, handler(conn)


def command(conn: Connection, request: ReceivedMessage) -> None:
    text = request.get("Command") or ""
    if not text:
        conn.error(request, "No command provided")
        return
    ok, output = cli_output(conn, text)
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    conn.respond(
        request,
        "Success" if ok else "Error",
        "Command output follows",
        [("Output", line) for line in lines],
    )


# --- the session --------------------------------------------------------------------------


def events(conn: Connection, request: ReceivedMessage) -> None:
    from sdk.testing.server import event_mask

    mask = request.get("EventMask") or ""
    user_read = conn.user.read if conn.user else frozenset()
    conn.event_mask = event_mask(mask, user_read)
    conn.respond(request, "Success", headers=[("Events", "On" if conn.event_mask else "Off")])


def filter_(conn: Connection, request: ReceivedMessage) -> None:
    operation = request.get("Operation") or ""
    if operation.lower() != "add":
        conn.error(request, "Unknown operation")
        return
    text = request.get("Filter") or ""
    exclude = text.startswith("!")
    try:
        regex = re.compile(text[1:] if exclude else text)
    except re.error:
        conn.error(request, "Filter did not compile.  Check the syntax of the filter given.")
        return
    (conn.exclude_filters if exclude else conn.include_filters).append(regex)
    conn.ack(request, "Success")


def list_commands(conn: Connection, request: ReceivedMessage) -> None:
    write = conn.user.write if conn.user is not None else frozenset()
    conn.respond(request, "Success", headers=conn.server.known_actions.listing(write))


# --- Originate ------------------------------------------------------------------------------

_LOCAL = re.compile(
    r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+?)(?P<opts>/[a-zA-Z]*)?$", re.IGNORECASE
)


def originate(conn: Connection, request: ReceivedMessage) -> None:
    name = request.get("Channel") or ""
    if not name:
        conn.error(request, "Channel not specified")
        return
    if "/" not in name:
        conn.error(request, "Invalid channel")
        return
    asynchronous = (request.get("Async") or "").lower() in TRUE_WORDS
    server = conn.server
    match = _LOCAL.match(name)
    reachable = match is not None and server.pbx.has_extension(match["context"], match["exten"])
    if not reachable:
        if asynchronous:
            conn.ack(request, "Originate successfully queued")
            server.broadcast(
                "OriginateResponse",
                "call",
                _id(request)
                + [
                    ("Response", "Failure"),
                    ("Channel", name),
                    ("Context", request.get("Context") or ""),
                    ("Exten", request.get("Exten") or ""),
                    ("Reason", "0"),
                    ("Uniqueid", "<null>"),
                    ("CallerIDNum", "<unknown>"),
                    ("CallerIDName", "<unknown>"),
                ],
            )
        else:
            conn.error(request, "Originate failed")
        return
    assert match is not None
    application = request.get("Application") or ""
    data = request.get("Data") or ""
    conn.ack(request, "Originate successfully queued")
    one, two = server.pbx.new_local_pair(match["exten"], match["context"], application, data)
    _announce_local_call(server, request, one, two, f"{match['exten']}@{match['context']}")
    if application.lower() == "wait":
        try:
            seconds = float(data or "0")
        except ValueError:
            seconds = 0.0
        server.schedule(seconds, lambda: hang_up(server, [one, two]))


def _announce_local_call(
    server: AMIServer, request: ReceivedMessage, one: Channel, two: Channel, dial: str
) -> None:
    """The events Asterisk 20 sent for an Originate to a Local channel (originate-async.json)."""
    broadcast = server.broadcast
    broadcast("Newchannel", "call", one.snapshot())
    broadcast("Newchannel", "call", two.snapshot())
    broadcast(
        "LocalBridge",
        "call",
        one.snapshot("LocalOne")
        + two.snapshot("LocalTwo")
        + [("Context", one.context), ("Exten", one.exten), ("LocalOptimization", "Yes")],
    )
    broadcast("DialBegin", "call", one.snapshot("Dest") + [("DialString", dial)])
    two.state = 6
    broadcast("Newstate", "call", two.snapshot())
    one.state = 6
    broadcast("Newstate", "call", one.snapshot())
    broadcast("DialEnd", "call", one.snapshot("Dest") + [("DialStatus", "ANSWER")])
    broadcast(
        "OriginateResponse",
        "call",
        _id(request)
        + [
            ("Response", "Success"),
            ("Channel", one.name),
            ("Application", one.application),
            ("Data", one.data),
            ("Reason", "4"),
            ("Uniqueid", one.uniqueid),
            ("CallerIDNum", one.caller_num),
            ("CallerIDName", one.caller_name),
        ],
    )
    device = one.name.rsplit("-", 1)[0]
    broadcast("DeviceStateChange", "call", [("Device", device), ("State", "INUSE")])
    broadcast("DeviceStateChange", "call", [("Device", device), ("State", "INUSE")])


HANDLERS: dict[str, Callable[[Connection, ReceivedMessage], None]] = {
    "Command": command,
    "CoreSettings": core_settings,
    "CoreShowChannels": core_show_channels,
    "CoreStatus": core_status,
    "DBGet": db_get,
    "DBPut": db_put,
    "Events": events,
    "ExtensionState": extension_state,
    "Filter": filter_,
    "Getvar": getvar,
    "Hangup": hangup,
    "ListCommands": list_commands,
    "Originate": originate,
    "Setvar": setvar,
    "Status": status,
}
