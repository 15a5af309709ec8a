"""What the embedded server does for each action, following Asterisk's own code paths.

``Handlers.process`` is ``manager.c``'s ``process_message``: a missing Action, an action other
than Login, Challenge or Logoff before login, an unknown action and a missing write class
each get Asterisk's own error text. Each handler writes the answer Asterisk writes; the
texts come from the recordings in ``tests/fixtures``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from sdk.actions import ACTIONS
from sdk.testing.sip import build_chan_sip_notify

if TYPE_CHECKING:
    from sdk.testing.server import Connection, ReceivedMessage

__all__ = ["Handler", "Handlers", "handlers_for"]

log = logging.getLogger("sdk.testing.handlers")

HandlerFunc = Callable[["Connection", "ReceivedMessage"], None]


@attrs.frozen
class Handler:
    name: str
    func: HandlerFunc
    authority: str | None = None  # the write class the user needs; None: anyone


class Handlers:
    """The actions one server version knows, looked up without regard to case."""

    def __init__(self, handlers: list[Handler]) -> None:
        self._table = {h.name.lower(): h for h in handlers}

    @property
    def names(self) -> list[str]:
        return sorted(h.name for h in self._table.values())

    def process(self, conn: Connection, request: ReceivedMessage) -> None:
        action = request.get("Action")
        if not action:
            conn.error(request, "Missing action in request")
            return
        folded = action.lower()
        if not conn.authenticated and folded not in ("login", "logoff", "challenge"):
            conn.error(request, "Permission denied")
            return
        handler = self._table.get(folded)
        if handler is None:
            conn.error(
                request,
                f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.",
            )
            return
        if handler.authority is not None:
            user = conn.user
            if user is None or handler.authority not in user.write:
                conn.error(request, "Permission denied")
                return
        handler.func(conn, request)


# --- login and the connection ---------------------------------------------------------------


def challenge(conn: Connection, request: ReceivedMessage) -> None:
    if (request.get("AuthType") or "").lower() != "md5":
        conn.error(request, "Must specify AuthType")
        return
    if not conn.challenge:
        conn.challenge = conn.server.challenge or str(secrets.randbelow(2**31))
    conn.respond(request, "Success", headers=[("Challenge", conn.challenge)])


def _authenticate(conn: Connection, request: ReceivedMessage) -> bool:
    user = conn.server.users.get(request.get("Username") or "")
    if user is None:
        return False
    if (request.get("AuthType") or "").lower() == "md5":
        key = request.get("Key") or ""
        if not key or not conn.challenge:
            return False
        expected = hashlib.md5((conn.challenge + user.secret).encode()).hexdigest()
        return key.lower() == expected
    return request.get("Secret") == user.secret


def login(conn: Connection, request: ReceivedMessage) -> None:
    from sdk.testing.server import event_mask

    if conn.authenticated:
        conn.ack(request, "Already authenticated")
        return
    if not _authenticate(conn, request):
        time.sleep(conn.server.auth_fail_delay)  # Asterisk waits a second before refusing
        conn.error(request, "Authentication failed")
        conn.close()
        return
    user = conn.server.users[request.get("Username") or ""]
    conn.user = user
    events = request.get("Events")
    conn.event_mask = user.read if events is None else event_mask(events, user.read)
    conn.authenticated = True
    conn.ack(request, "Authentication accepted")
    if "system" in conn.event_mask:
        uptime = str(int(time.monotonic() - conn.server.started_at))
        conn.event(
            "FullyBooted",
            [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")],
            privilege="system,all",
        )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    local = conn.sock.getsockname()
    conn.server.broadcast(
        "SuccessfulAuth",
        "security",
        [
            ("EventTV", now),
            ("Severity", "Informational"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            ("AccountID", user.name),
            ("SessionID", conn.session_id),
            ("LocalAddress", f"IPV4/TCP/{local[0]}/{local[1]}"),
            ("RemoteAddress", f"IPV4/TCP/{conn.peer[0]}/{conn.peer[1]}"),
            ("UsingPassword", "0"),
            ("SessionTV", now),
        ],
    )


def logoff(conn: Connection, request: ReceivedMessage) -> None:
    conn.respond(request, "Goodbye", "Thanks for all the fish.")
    conn.close()


def ping(conn: Connection, request: ReceivedMessage) -> None:
    conn.respond(
        request, "Success", headers=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]
    )


def user_event(conn: Connection, request: ReceivedMessage) -> None:
    name = request.get("UserEvent") or ""
    body = "".join(
        f"{line}\r\n"
        for line in request.lines
        if not line.lower().startswith("userevent:") and not line.lower().startswith("action:")
    )
    conn.ack(request, "Event Sent")
    conn.server.broadcast("UserEvent", "user", f"UserEvent: {name}\r\n{body}")


# --- chan_sip ---------------------------------------------------------------------------------


def _address(server_peers: dict, name: str) -> tuple[str | None, tuple[str, int] | None]:
    """chan_sip's ``create_addr``: a peer with an address, else an IP literal with a port."""
    peer = server_peers.get(name.lower())
    if peer is not None:
        return peer.name, peer.address
    host, _, port = name.rpartition(":") if name.count(":") == 1 else (name, "", "")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None, None  # the embedded server resolves no DNS names
    try:
        return None, (host, int(port) if port else 5060)
    except ValueError:
        return None, None


def sip_notify(conn: Connection, request: ReceivedMessage) -> None:
    action = ACTIONS["SIPnotify"].from_message(request)
    channel = action.channel or ""
    if not channel:
        conn.error(request, "SIPNotify requires a channel name")
        return
    if channel[:4].lower() == "sip/":
        channel = channel[4:]
    server = conn.server
    call_id = action.call_id or None
    if call_id is not None and call_id not in server.dialogs:
        conn.error(request, "Call-ID not found")
        return
    peer, address = _address(server.sip_peers, channel)
    if address is None:
        conn.error(request, "Could not create address")
        return
    notify = build_chan_sip_notify(
        peer=peer,
        address=address,
        variables=list(action.variables),
        user_agent=f"Asterisk PBX {server.asterisk_version}",
        call_id=call_id,
    )
    server.record_notify(notify)
    conn.ack(request, "Notify Sent")


COMMON = [
    Handler("Login", login),
    Handler("Logoff", logoff),
    Handler("Challenge", challenge),
    Handler("Ping", ping),
    Handler("UserEvent", user_event, authority="user"),
]


def handlers_for(version: str) -> Handlers:
    """The actions the embedded server knows when it plays Asterisk ``version``."""
    if version == "20":
        return Handlers([*COMMON, Handler("SIPnotify", sip_notify, authority="system")])
    return Handlers(list(COMMON))


# --- what the server offers: ListCommands and CoreSettings ------------------------------------


def list_commands(conn: Connection, request: ReceivedMessage) -> None:
    """One ``Name: summary  (Priv: classes,all)`` line per action this user may send, in
    Asterisk's order (names without regard to case), as in fixture ``listcommands``."""
    user = conn.user
    lines = []
    for name in sorted(conn.server.handlers.names, key=str.lower):
        cls = ACTIONS.get(name)
        classes = [c for c in (cls.PRIVILEGE if cls else "").split(",") if c]
        if classes and (user is None or not set(classes) & user.write):
            continue
        summary = cls.SUMMARY if cls else name
        lines.append(
            (name, f"{summary}  (Priv: {','.join([*classes, 'all']) if classes else '<none>'})")
        )
    conn.respond(request, "Success", headers=lines)


def core_settings(conn: Connection, request: ReceivedMessage) -> None:
    """The settings of an Asterisk configured like the recorded one (fixture ``coresettings``)."""
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


COMMON.extend(
    [
        Handler("ListCommands", list_commands),
        Handler("CoreSettings", core_settings, authority="system"),
    ]
)
