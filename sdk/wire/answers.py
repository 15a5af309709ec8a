"""What a server writes: a response to a request and an event, as Asterisk's manager.c does.

The SDK's own servers write their answers with these, so that they write them one way: the
embedded server (``sdk.testing``) and the in-memory transport (``sdk.client.memory``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sdk.wire.message import Message

__all__ = ["event_text", "response_text"]


def response_text(
    request: Message,
    status: str,
    message: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    *,
    list_start: bool = False,
) -> str:
    """A response as ``astman_send_response_full`` writes it: Response, ActionID (when the
    request had a non-empty one), EventList (a list's start), Message, the further headers,
    a blank line."""
    out = [f"Response: {status}\r\n"]
    action_id = request.get("ActionID")
    if action_id:
        out.append(f"ActionID: {action_id}\r\n")
    if list_start:
        out.append("EventList: start\r\n")
    if message is not None:
        out.append(f"Message: {message}\r\n")
    out.extend(f"{name}: {value}\r\n" for name, value in headers)
    out.append("\r\n")
    return "".join(out)


def event_text(
    name: str, headers: Iterable[tuple[str, str]] | str = (), *, privilege: str | None = None
) -> str:
    """An event: Event, Privilege (when given), its headers (pairs, or lines already
    written, each with its CRLF), a blank line."""
    out = [f"Event: {name}\r\n"]
    if privilege:
        out.append(f"Privilege: {privilege}\r\n")
    if isinstance(headers, str):
        out.append(headers)
    else:
        out.extend(f"{key}: {value}\r\n" for key, value in headers)
    out.append("\r\n")
    return "".join(out)
