"""What the handlers of list actions share: the ActionID every item echoes, the list answer.

Asterisk answers a list action (Status, SIPpeers, PJSIPShowEndpoints...) with a response
that starts the list (``EventList: start``), one event per item, and a completing event
that counts them (``EventList: Complete``, ``ListItems``); each event carries the request's
ActionID, if it had one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sdk.testing.context import Context
from sdk.testing.request import ReceivedMessage

__all__ = ["echo_id", "send_list"]


def echo_id(request: ReceivedMessage) -> list[tuple[str, str]]:
    """``[("ActionID", id)]`` for a request that had a non-empty ActionID, else ``[]``."""
    action_id = request.get("ActionID")
    return [("ActionID", action_id)] if action_id else []


def send_list(
    ctx: Context,
    request: ReceivedMessage,
    message: str,
    events: list[tuple[str, list[tuple[str, str]]]],
    complete: str,
    *,
    privilege: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> None:
    """A list answer: the start, one event per item (with ``privilege``, if given), the
    completing event with ``extra`` headers after ListItems."""
    ctx.respond(request, "Success", message, list_start=True)
    for name, headers in events:
        ctx.event(name, headers, privilege=privilege)
    closing = [
        *echo_id(request),
        ("EventList", "Complete"),
        ("ListItems", str(len(events))),
        *extra,
    ]
    ctx.event(complete, closing)
