"""Core actions of the embedded server: channels, variables, AstDB, the CLI, Originate.

Each handler writes what Asterisk's own handler writes, with the texts the recordings show;
where a recording has no example (an error Asterisk has but the lab never hit), the text is
the one in Asterisk's source.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from sdk.model.fields import TRUE_WORDS
from sdk.testing.context import Context, Handler
from sdk.testing.handlers.lists import echo_id, send_list
from sdk.testing.known import data_lines
from sdk.testing.pbx import Channel
from sdk.testing.releases import recording_for
from sdk.testing.request import ReceivedMessage

__all__ = ["CLI_COMMANDS", "HANDLERS", "cli_output"]

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


def status(ctx: Context, request: ReceivedMessage) -> None:
    pbx = ctx.pbx
    name = request.get("Channel") or ""
    variables = [v.strip() for v in (request.get("Variables") or "").split(",") if v.strip()]
    if name:
        channel = pbx.find_channel(name)
        if channel is None:
            ctx.error(request, "No such channel")
            return
        channels = [channel]
    else:
        channels = pbx.listing()
    items = [
        ("Status", _status_fields(channel, variables) + echo_id(request)) for channel in channels
    ]
    send_list(
        ctx,
        request,
        "Channel status will follow",
        items,
        "StatusComplete",
        privilege="Call",
        extra=[("Items", str(len(items)))],
    )


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def core_show_channels(ctx: Context, request: ReceivedMessage) -> None:
    items = [
        (
            "CoreShowChannel",
            echo_id(request)
            + channel.snapshot()
            + [
                ("Application", channel.application),
                ("ApplicationData", channel.data),
                ("Duration", _duration(channel.seconds)),
                ("BridgeId", ""),
            ],
        )
        for channel in ctx.pbx.listing()
    ]
    send_list(ctx, request, "Channels will follow", items, "CoreShowChannelsComplete")


def hangup(ctx: Context, request: ReceivedMessage) -> None:
    name = request.get("Channel") or ""
    if not name:
        ctx.error(request, "No channel specified")
        return
    if name.startswith("/"):
        _hangup_matching(ctx, request, name)
        return
    channel = ctx.pbx.find_channel(name)
    if channel is None:
        ctx.error(request, "No such channel")
        return
    hang_up(ctx, [channel], cause=request.get("Cause") or "16")
    ctx.ack(request, "Channel Hungup")


def _hangup_matching(ctx: Context, request: ReceivedMessage, name: str) -> None:
    """Hangup of every channel whose name a ``/regex/`` finds: a list of ChannelHungup."""
    if len(name) < 2 or not name.endswith("/"):
        ctx.error(request, "Regex format invalid, Channel param should be /regex/")
        return
    try:
        regex = re.compile(name[1:-1])
    except re.error:
        ctx.error(request, f"Regex compile failed on: {name}")
        return
    matched = [c for c in ctx.pbx.listing() if regex.search(c.name)]
    items = [("ChannelHungup", [("Channel", c.name), *echo_id(request)]) for c in matched]
    send_list(ctx, request, "Channels hung up will follow", items, "ChannelsHungupListComplete")
    hang_up(ctx, matched, cause=request.get("Cause") or "16")


def hang_up(ctx: Context, channels: list[Channel], cause: str = "16") -> None:
    """Remove channels and announce each with a Hangup event."""
    text = {"16": "Normal Clearing", "17": "User busy", "19": "No answer"}.get(cause, "Unknown")
    for channel in ctx.pbx.remove(channels):
        ctx.broadcast(
            "Hangup", "call", channel.snapshot() + [("Cause", cause), ("Cause-txt", text)]
        )


# --- variables and AstDB ------------------------------------------------------------------


def _variables_of(ctx: Context, request: ReceivedMessage) -> tuple[str, dict[str, str]] | None:
    """The variable named and where it lives (a channel's, or the globals); None after an error."""
    variable = request.get("Variable") or ""
    if not variable:
        ctx.error(request, "No variable specified")
        return None
    name = request.get("Channel") or ""
    if not name:
        return variable, ctx.pbx.globals
    channel = ctx.pbx.find_channel(name)
    if channel is None:
        ctx.error(request, "No such channel")
        return None
    return variable, channel.variables


# The dialplan functions the embedded server evaluates in Getvar: name -> f(context, argument)
FUNCTIONS: dict[str, Callable[[Context, str], str]] = {
    "LEN": lambda ctx, arg: str(len(arg)),
    "GLOBAL": lambda ctx, arg: ctx.pbx.globals.get(arg, ""),
}


@functools.cache
def server_functions(version: str) -> frozenset[str]:
    """The dialplan functions Asterisk ``version`` has (``data/functions-*.txt``, as
    ``recording_for`` picks the recording)."""
    return frozenset(data_lines(f"functions-{recording_for(version)}.txt"))


_FUNCTION = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<arg>.*)\)$", re.DOTALL)


def getvar(ctx: Context, request: ReceivedMessage) -> None:
    found = _variables_of(ctx, request)
    if found is None:
        return
    variable, scope = found
    if variable.endswith(")"):  # a function call, as manager.c tells them
        call = _FUNCTION.match(variable)
        name = call["name"] if call else ""  # function names are matched exactly
        func = FUNCTIONS.get(name)
        if call is None or name not in server_functions(ctx.version):
            value = ""  # Asterisk reads a function it lacks as empty (and logs an error)
        elif func is None:
            ctx.error(request, f"The embedded AMI server does not evaluate {variable}")
            return
        else:
            value = func(ctx, call["arg"])
    else:
        value = scope.get(variable, "")
    ctx.respond(request, "Success", headers=[("Variable", variable), ("Value", value)])


def setvar(ctx: Context, request: ReceivedMessage) -> None:
    found = _variables_of(ctx, request)
    if found is not None:
        variable, scope = found
        scope[variable] = request.get("Value") or ""
        ctx.ack(request, "Variable Set")


def _db_key(ctx: Context, request: ReceivedMessage, stop: str = "") -> tuple[str, str] | None:
    """Family and Key of an AstDB action; None after an error (DBGet's texts end in a stop)."""
    family, key = request.get("Family") or "", request.get("Key") or ""
    if not family:
        ctx.error(request, f"No family specified{stop}")
        return None
    if not key:
        ctx.error(request, f"No key specified{stop}")
        return None
    return family, key


def db_put(ctx: Context, request: ReceivedMessage) -> None:
    found = _db_key(ctx, request)
    if found is not None:
        ctx.pbx.astdb[found] = request.get("Val") or ""
        ctx.ack(request, "Updated database successfully")


def db_get(ctx: Context, request: ReceivedMessage) -> None:
    found = _db_key(ctx, request, ".")
    if found is None:
        return
    value = ctx.pbx.astdb.get(found)
    if value is None:
        ctx.error(request, "Database entry not found")
        return
    family, key = found
    event = [("Family", family), ("Key", key), ("Val", value)] + echo_id(request)
    send_list(ctx, request, "Result will follow", [("DBGetResponse", event)], "DBGetComplete")


# --- the core -----------------------------------------------------------------------------


def core_status(ctx: Context, request: ReceivedMessage) -> None:
    pbx = ctx.pbx
    ctx.respond(
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


def core_settings(ctx: Context, request: ReceivedMessage) -> None:
    ctx.respond(
        request,
        "Success",
        headers=[
            ("AMIversion", ctx.banner.rpartition("/")[2]),
            ("AsteriskVersion", ctx.asterisk_version),
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


def extension_state(ctx: Context, request: ReceivedMessage) -> None:
    exten = request.get("Exten") or ""
    if not exten:
        ctx.error(request, "Extension not specified")
        return
    context = request.get("Context") or "default"
    hint = ctx.pbx.hints.get((context, exten), "")
    status_code, text = ("0", "Idle") if hint else ("-1", "Unknown")
    ctx.respond(
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

CLI_COMMANDS: dict[str, Callable[[Context], str]] = {}


def cli_command(words: str) -> Callable[[Callable[[Context], str]], Callable[[Context], str]]:
    def register(func: Callable[[Context], str]) -> Callable[[Context], str]:
        CLI_COMMANDS[words] = func
        return func

    return register


@cli_command("core show version")
def _core_show_version(ctx: Context) -> str:
    return f"Asterisk {ctx.asterisk_version} {ctx.build}\n"


@cli_command("core show uptime")
def _core_show_uptime(ctx: Context) -> str:
    return f"System uptime: {ctx.uptime} seconds\nLast reload: {ctx.uptime} seconds\n"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"  # Asterisk's ESS()


@cli_command("core show channels")
def _core_show_channels(ctx: Context) -> str:
    row = "{:<64.64} {:<32.32} {:<7.7} {:<30.30}"  # cli.c's FORMAT_STRING
    lines = [row.format("Channel", "Location", "State", "Application(Data)")]
    channels = ctx.pbx.listing()
    for channel in channels:
        location = f"{channel.exten}@{channel.context}:{channel.priority}"
        app = f"{channel.application}({channel.data})"
        lines.append(row.format(channel.name, location, channel.state_desc, app))
    pbx = ctx.pbx
    lines += [
        f"{_plural(len(channels), 'active channel')}",
        f"{_plural(pbx.current_calls, 'active call')}",
        f"{_plural(pbx.processed_calls, 'call')} processed",
    ]
    return "\n".join(lines) + "\n"


@cli_command("!")
def _bang(ctx: Context) -> str:
    return ""  # "!" runs a shell on a console; through AMI it prints nothing


_RESERVED = "[]{}|*%"  # what marks a CLI word as a pattern (cli.c's cli_rsvd)
# Command's refusals before the CLI runs (manager.c's command_blacklist)
BLACKLIST = (("module", "load"), ("module", "unload"), ("restart", "gracefully"))


@functools.cache
def cli_entries(version: str) -> tuple[tuple[str, ...], ...]:
    """The CLI commands Asterisk ``version`` has (``core show help`` as recorded in
    ``data/cli-*.txt``, as ``recording_for`` picks the recording), each as its words:
    ``("core", "show", "channels", "[concise|...]")``."""
    lines = data_lines(f"cli-{recording_for(version)}.txt")
    return tuple(tuple(line.partition(" -- ")[0].split()) for line in lines)


def _word_match(word: str, cli_word: str) -> bool:
    """cli.c's ``word_match``: a plain word matches without regard to case; in a pattern
    (``[on|off]``, ``{a|b}``) the word must stand between reserved characters; ``%`` any."""
    if not word or not cli_word:
        return False
    if cli_word[0] not in _RESERVED:
        return word.lower() == cli_word.lower()
    if cli_word[0] == "%":
        return True
    low, pattern = word.lower(), cli_word.lower()
    pos = pattern.find(low)
    while pos >= 0:
        end = pos + len(low)
        if (
            pos > 0
            and pattern[pos - 1] in _RESERVED
            and (end == len(pattern) or pattern[end] in _RESERVED)
        ):
            return True
        pos = pattern.find(low, pos + 1)
    return False


def find_cli(
    entries: tuple[tuple[str, ...], ...], words: list[str], partial: bool = False
) -> tuple[str, ...] | None:
    """cli.c's ``find_cli``: the command ``words`` run (its entry may take more words as
    arguments); with ``partial``, also one that differs only in the last word of both (what
    the "No such command" hint is made of)."""
    best, best_len = None, -1
    for entry in entries:
        n = 0
        while n < len(words) and n < len(entry) and _word_match(words[n], entry[n]):
            n += 1
        rest_words, rest_entry = words[n:], entry[n:]
        if not rest_entry or (len(rest_entry) == 1 and rest_entry[0].startswith("[")):
            if not rest_words:
                return entry  # exact: cannot do better
            if partial:
                continue  # more words than the entry: not what a hint looks for
        elif not rest_words or not partial or len(rest_words) > 1 or len(rest_entry) > 1:
            continue
        if n > best_len:
            best, best_len = entry, n
    return best


def _best_prefix(entries: tuple[tuple[str, ...], ...], words: list[str]) -> str:
    """The words up to the first that no command continues, that one included (cli.c's
    ``find_best``)."""
    chosen: list[str] = []
    for word in words:
        chosen.append(word)
        if find_cli(entries, chosen, partial=True) is None:
            break
    return " ".join(chosen)


def cli_output(ctx: Context, command: str) -> tuple[bool, str]:
    """Run a CLI command: (succeeded, output text)."""
    words = command.split()
    entries = cli_entries(ctx.version)
    entry = find_cli(entries, words)
    if entry is None:
        hint = _best_prefix(entries, words)
        return (
            False,
            f"No such command '{command}' (type 'core show help {hint}' for other possible commands)\n",
        )
    handler = CLI_COMMANDS.get(" ".join(w.lower() for w in words))
    if handler is None:
        return False, f"The embedded AMI server does not implement the CLI command '{command}'\n"
    return True, handler(ctx)


def command(ctx: Context, request: ReceivedMessage) -> None:
    text = request.get("Command") or ""
    if not text:
        ctx.error(request, "No command provided")
        return
    words = [w.lower() for w in text.split()]
    if any(tuple(words[: len(b)]) == b for b in BLACKLIST):
        ctx.error(request, "Command blacklisted")
        return
    ok, output = cli_output(ctx, text)
    # manager.c drops one trailing newline, then writes each line, an empty one too
    lines = output.removesuffix("\n").split("\n")
    ctx.respond(
        request,
        "Success" if ok else "Error",
        "Command output follows",
        [("Output", line) for line in lines],
    )


# --- Originate ------------------------------------------------------------------------------

_LOCAL = re.compile(
    r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+?)(?P<opts>/[a-zA-Z]*)?$", re.IGNORECASE
)


def originate(ctx: Context, request: ReceivedMessage) -> None:
    name = request.get("Channel") or ""
    if not name:
        ctx.error(request, "Channel not specified")
        return
    if "/" not in name:
        ctx.error(request, "Invalid channel")
        return
    asynchronous = (request.get("Async") or "").lower() in TRUE_WORDS
    match = _LOCAL.match(name)
    application = request.get("Application") or ""
    data = request.get("Data") or ""
    reachable = match is not None and ctx.pbx.has_extension(match["context"], match["exten"])
    if not reachable:
        if asynchronous:
            ctx.ack(request, "Originate successfully queued")
        if match is not None:  # the Local channel is made, and hangs up: no such extension
            _failed_local_call(ctx, match["exten"], match["context"])
        if asynchronous:
            if application:
                target = [("Application", application), ("Data", data)]
            else:
                target = [
                    ("Context", request.get("Context") or ""),
                    ("Exten", request.get("Exten") or ""),
                ]
            ctx.broadcast(
                "OriginateResponse",
                "call",
                echo_id(request)
                + [("Response", "Failure"), ("Channel", name), *target, ("Reason", "0")]
                + [
                    ("Uniqueid", "<null>"),
                    ("CallerIDNum", "<unknown>"),
                    ("CallerIDName", "<unknown>"),
                ],
            )
        else:
            ctx.error(request, "Originate failed")
        return
    assert match is not None
    ctx.ack(request, "Originate successfully queued")
    one, two = ctx.pbx.new_local_pair(match["exten"], match["context"], application, data)
    _announce_local_call(ctx, request, one, two, f"{match['exten']}@{match['context']}")
    _run_dialplan(ctx, two, one)
    if application.lower() == "wait":
        ctx.schedule(_seconds(data), lambda: hang_up(ctx, [one, two]))


def _seconds(text: str) -> float:
    try:
        return float(text or "0")
    except ValueError:
        return 0.0


ANSWER_WAIT = 0.5  # Answer() waits this long for the first media frame; a Local has none


def _run_dialplan(ctx: Context, two: Channel, one: Channel, index: int = 0) -> None:
    """The ;2 half runs its extension: Answer holds it half a second (Asterisk's
    ``__ast_answer`` waits up to 500 ms for media, which a Local channel never has), Wait(n)
    n seconds, Hangup (or the end of the extension) ends the call, any other application
    runs until the call ends."""
    steps = ctx.pbx.dialplan.get(two.context, {}).get(two.exten, [])
    with ctx.pbx.lock:
        if two not in ctx.pbx.channels:
            return  # hung up meanwhile
        if index < len(steps) and steps[index][0].lower() != "hangup":
            two.priority = index + 1
            two.application, two.data = steps[index]
            app = two.application.lower()
            if app in ("answer", "wait"):
                hold = ANSWER_WAIT if app == "answer" else _seconds(two.data)
                later = index + 1
                ctx.schedule(hold, lambda: _run_dialplan(ctx, two, one, later))
            return
    hang_up(ctx, [two, one])


def _failed_local_call(ctx: Context, exten: str, context: str) -> None:
    """A Local channel to an extension that does not exist: both halves are made and hang
    up at once (Asterisk's events, whose order varies from run to run)."""
    one, two = ctx.pbx.new_local_pair(exten, context, "", "")
    two.application = ""
    ctx.broadcast("Newchannel", "call", one.snapshot())
    ctx.broadcast("Newchannel", "call", two.snapshot())
    hang_up(ctx, [two, one], cause="0")
    device = one.name.rsplit("-", 1)[0]
    for _ in (one, two):
        ctx.broadcast("DeviceStateChange", "call", [("Device", device), ("State", "INVALID")])


def _announce_local_call(
    ctx: Context, request: ReceivedMessage, one: Channel, two: Channel, dial: str
) -> None:
    """The events Asterisk 20 sent for an Originate to a Local channel (originate-async.json)."""
    broadcast = ctx.broadcast
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
        echo_id(request)
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


HANDLERS: dict[str, Handler] = {
    "Command": command,
    "CoreSettings": core_settings,
    "CoreShowChannels": core_show_channels,
    "CoreStatus": core_status,
    "DBGet": db_get,
    "DBPut": db_put,
    "ExtensionState": extension_state,
    "Getvar": getvar,
    "Hangup": hangup,
    "Originate": originate,
    "Setvar": setvar,
    "Status": status,
}
