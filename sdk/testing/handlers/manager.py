"""manager.c's own actions: logging in and out, the connection's events and filters, ListCommands.

Each handler writes the answer Asterisk's manager.c writes; the texts come from the
recordings in ``tests/fixtures``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sdk.testing.server import Connection, ReceivedMessage, User

__all__ = ["HANDLERS"]


# --- login and the connection ---------------------------------------------------------------


def challenge(conn: Connection, request: ReceivedMessage) -> None:
    if (request.get("AuthType") or "").lower() != "md5":
        conn.error(request, "Must specify AuthType")
        return
    if not conn.challenge:
        conn.challenge = conn.server.challenge or str(secrets.randbelow(2**31))
    conn.respond(request, "Success", headers=[("Challenge", conn.challenge)])


def _authenticate(conn: Connection, request: ReceivedMessage) -> User | None:
    """The user the request logs in as, if its secret (or MD5 key) is right; else None."""
    user = conn.server.find_user(request.get("Username") or "")
    if user is None:
        return None
    if (request.get("AuthType") or "").lower() == "md5":
        key = request.get("Key") or ""
        if not key or not conn.challenge:
            return None
        expected = hashlib.md5((conn.challenge + user.secret).encode()).hexdigest()
        return user if key.lower() == expected else None
    return user if request.get("Secret") == user.secret else None


def login(conn: Connection, request: ReceivedMessage) -> None:
    from sdk.testing.server import event_mask

    if conn.authenticated:
        conn.ack(request, "Already authenticated")
        return
    user = _authenticate(conn, request)
    if user is None:
        time.sleep(conn.server.auth_fail_delay)  # Asterisk waits a second before refusing
        conn.error(request, "Authentication failed")
        conn.close()
        return
    conn.user = user
    conn.username = request.get("Username") or ""
    events = request.get("Events") or ""
    # an empty or absent Events header leaves the default: every class the user reads
    conn.event_mask = event_mask(events, user.read) if events.strip() else user.read
    conn.authenticated = True
    conn.ack(request, "Authentication accepted")
    if "system" in conn.event_mask:
        uptime = str(conn.server.uptime)
        conn.event(
            "FullyBooted",
            [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")],
            privilege="system,all",
        )
    conn.server.security_event(conn, "SuccessfulAuth", "Informational", [("UsingPassword", "0")])


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


# --- the session: its events and filters --------------------------------------------------------------------------


def events(conn: Connection, request: ReceivedMessage) -> None:
    from sdk.testing.server import event_mask

    mask = request.get("EventMask") or ""
    if not mask.strip():
        conn.error(request, "Invalid event mask")
        return
    user_read = conn.user.read if conn.user else frozenset()
    conn.event_mask = event_mask(mask, user_read)
    conn.respond(request, "Success", headers=[("Events", "On" if conn.event_mask else "Off")])


def filter_(conn: Connection, request: ReceivedMessage) -> None:
    operation = request.get("Operation") or ""
    if operation.lower() != "add":
        conn.error(request, "Unknown operation")
        return
    if request.get("MatchCriteria"):
        conn.error(request, "The embedded AMI server does not implement Filter's MatchCriteria")
        return
    text = request.get("Filter") or ""
    exclude = text.startswith("!")
    pattern = text[1:] if exclude else text
    if not pattern:
        conn.error(
            request, "Filter was formatted incorrectly.  Check the syntax of the filter given."
        )
        return
    try:
        regex = re.compile(pattern)
    except re.error:
        conn.error(request, "Filter did not compile.  Check the syntax of the filter given.")
        return
    (conn.exclude_filters if exclude else conn.include_filters).append(regex)
    conn.ack(request, "Success")


def list_commands(conn: Connection, request: ReceivedMessage) -> None:
    write = conn.user.write if conn.user is not None else frozenset()
    conn.respond(request, "Success", headers=conn.server.known_actions.listing(write))


HANDLERS: dict[str, Callable[[Connection, ReceivedMessage], None]] = {
    "Challenge": challenge,
    "Events": events,
    "Filter": filter_,
    "ListCommands": list_commands,
    "Login": login,
    "Logoff": logoff,
    "Ping": ping,
    "UserEvent": user_event,
}
