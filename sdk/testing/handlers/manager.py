"""manager.c's own actions: logging in and out, the connection's events and filters, ListCommands.

Each handler writes the answer Asterisk's manager.c writes; the texts come from the
recordings in ``tests/fixtures``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from sdk.testing.context import Context, Handler
from sdk.testing.request import ReceivedMessage
from sdk.testing.sessions import User, event_mask

__all__ = ["HANDLERS"]


# --- login and the connection ---------------------------------------------------------------


def challenge(ctx: Context, request: ReceivedMessage) -> None:
    if (request.get("AuthType") or "").lower() != "md5":
        ctx.error(request, "Must specify AuthType")
        return
    if not ctx.session.challenge:
        ctx.session.challenge = ctx.fixed_challenge or str(secrets.randbelow(2**31))
    ctx.respond(request, "Success", headers=[("Challenge", ctx.session.challenge)])


def _authenticate(ctx: Context, request: ReceivedMessage) -> User | None:
    """The user the request logs in as, if its secret (or MD5 key) is right; else None."""
    user = ctx.find_user(request.get("Username") or "")
    if user is None:
        return None
    if (request.get("AuthType") or "").lower() == "md5":
        key = request.get("Key") or ""
        if not key or not ctx.session.challenge:
            return None
        expected = hashlib.md5((ctx.session.challenge + user.secret).encode()).hexdigest()
        return user if key.lower() == expected else None
    return user if request.get("Secret") == user.secret else None


def login(ctx: Context, request: ReceivedMessage) -> None:
    if ctx.session.authenticated:
        ctx.ack(request, "Already authenticated")
        return
    user = _authenticate(ctx, request)
    if user is None:
        time.sleep(ctx.auth_fail_delay)  # Asterisk waits a second before refusing
        ctx.error(request, "Authentication failed")
        ctx.close()
        return
    ctx.session.user = user
    ctx.session.username = request.get("Username") or ""
    events = request.get("Events") or ""
    # an empty or absent Events header leaves the default: every class the user reads
    ctx.session.event_mask = event_mask(events, user.read) if events.strip() else user.read
    ctx.session.authenticated = True
    ctx.ack(request, "Authentication accepted")
    if "system" in ctx.session.event_mask:
        uptime = str(ctx.uptime)
        ctx.event(
            "FullyBooted",
            [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")],
            privilege="system,all",
        )
    ctx.security_event("SuccessfulAuth", "Informational", [("UsingPassword", "0")])


def logoff(ctx: Context, request: ReceivedMessage) -> None:
    ctx.respond(request, "Goodbye", "Thanks for all the fish.")
    ctx.close()


def ping(ctx: Context, request: ReceivedMessage) -> None:
    ctx.respond(request, "Success", headers=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")])


def user_event(ctx: Context, request: ReceivedMessage) -> None:
    name = request.get("UserEvent") or ""
    body = "".join(
        f"{line}\r\n"
        for line in request.lines
        if not line.lower().startswith("userevent:") and not line.lower().startswith("action:")
    )
    ctx.ack(request, "Event Sent")
    ctx.broadcast("UserEvent", "user", f"UserEvent: {name}\r\n{body}")


# --- the session: its events and filters --------------------------------------------------------------------------


def events(ctx: Context, request: ReceivedMessage) -> None:
    mask = request.get("EventMask") or ""
    if not mask.strip():
        ctx.error(request, "Invalid event mask")
        return
    user_read = ctx.session.user.read if ctx.session.user else frozenset()
    ctx.session.event_mask = event_mask(mask, user_read)
    ctx.respond(request, "Success", headers=[("Events", "On" if ctx.session.event_mask else "Off")])


def filter_(ctx: Context, request: ReceivedMessage) -> None:
    operation = request.get("Operation") or ""
    if operation.lower() != "add":
        ctx.error(request, "Unknown operation")
        return
    if request.get("MatchCriteria"):
        ctx.error(request, "The embedded AMI server does not implement Filter's MatchCriteria")
        return
    text = request.get("Filter") or ""
    exclude = text.startswith("!")
    pattern = text[1:] if exclude else text
    if not pattern:
        ctx.error(
            request, "Filter was formatted incorrectly.  Check the syntax of the filter given."
        )
        return
    try:
        regex = re.compile(pattern)
    except re.error:
        ctx.error(request, "Filter did not compile.  Check the syntax of the filter given.")
        return
    (ctx.session.exclude_filters if exclude else ctx.session.include_filters).append(regex)
    ctx.ack(request, "Success")


def list_commands(ctx: Context, request: ReceivedMessage) -> None:
    write = ctx.session.user.write if ctx.session.user is not None else frozenset()
    ctx.respond(request, "Success", headers=ctx.known_actions.listing(write))


HANDLERS: dict[str, Handler] = {
    "Challenge": challenge,
    "Events": events,
    "Filter": filter_,
    "ListCommands": list_commands,
    "Login": login,
    "Logoff": logoff,
    "Ping": ping,
    "UserEvent": user_event,
}
