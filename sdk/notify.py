"""One call for the common job: send a SIP NOTIFY to a phone, whatever the channel driver.

``send_notify(session, "phone1", event="check-sync")`` picks SIPnotify (chan_sip) or
PJSIPNotify (res_pjsip) by the actions the server lists (ListCommands), not by its version:
many Asterisk 20 systems run only res_pjsip, and chan_sip is gone from 21 on. A target that
starts with ``sip:`` or ``sips:`` is a URI, which only PJSIPNotify can reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sdk import actions
from sdk.errors import FieldProblem, ValidationError
from sdk.model.action import Action
from sdk.model.values import plain

if TYPE_CHECKING:
    from sdk.client.session import Session
    from sdk.wire.message import Response

__all__ = ["METHODS", "body_lines", "build_notify", "is_uri", "notify_method", "send_notify"]

METHODS = ("PJSIPNotify", "SIPnotify")  # in order of preference when a server has both


def is_uri(target: str) -> bool:
    return target[:4].lower() == "sip:" or target[:5].lower() == "sips:"


def notify_method(session: Session) -> str:
    """``PJSIPNotify`` or ``SIPnotify``: what this server can do, asked once per session."""
    available = {name.lower() for name in session.server_actions()}
    for method in METHODS:
        if method.lower() in available:
            return method
    raise ValidationError(
        "notify",
        [
            FieldProblem(
                None,
                None,
                "the server has neither PJSIPNotify (res_pjsip) nor SIPnotify (chan_sip)",
            )
        ],
    )


def body_lines(content: str | Sequence[str] | None) -> list[str]:
    """The body lines of ``content``: a list as given, one string split where its author
    split it, at ``\\n`` or ``\\r\\n`` (a final line end ends the last line, it starts no
    empty one). Never at the other characters ``str.splitlines`` takes for line ends
    (``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028, U+2029): they are text
    of the line, and a lone ``\\r`` stays in its line for validation to refuse."""
    if content is None:
        return []
    if not isinstance(content, str):
        return list(content)
    *ended, last = content.split("\n")
    lines = [line.removesuffix("\r") for line in ended]
    if last or not lines:
        lines.append(last)
    return lines


def build_notify(
    method: str,
    target: str,
    *,
    event: str,
    content: str | Sequence[str] | None = None,
    content_type: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    action_id: str | None = None,
) -> Action:
    """The NOTIFY action for ``method``: the SIP headers (Event first, then ``headers``,
    then Content-Type) and one Content variable per body line. Validates like any action."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    target = plain(target)  # URI or name is decided on the text that is sent

    variables: list[tuple[str, str]] = [("Event", event), *headers]
    lines = body_lines(content)
    if content_type is not None:
        variables.append(("Content-Type", content_type))
    variables += [("Content", line) for line in lines]
    if method == "SIPnotify":
        if is_uri(target):
            problem = FieldProblem(
                "channel",
                "Channel",
                f"{target!r} is a URI: chan_sip's SIPnotify takes a peer name or host[:port]; URIs need PJSIPNotify",
            )
            raise ValidationError(method, [problem])
        return actions.SIPnotify(channel=target, variables=variables, action_id=action_id)
    if is_uri(target):
        return actions.PJSIPNotify(uri=target, variables=variables, action_id=action_id)
    return actions.PJSIPNotify(endpoint=target, variables=variables, action_id=action_id)


def send_notify(
    session: Session,
    target: str,
    *,
    event: str = "check-sync",
    content: str | Sequence[str] | None = None,
    content_type: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float | None = None,
    check: bool = False,
) -> Response:
    """Send a NOTIFY with ``event`` (and an optional body) to ``target``: a chan_sip peer or
    PJSIP endpoint name, or a SIP URI. Returns the server's response."""
    action = build_notify(
        notify_method(session),
        target,
        event=event,
        content=content,
        content_type=content_type,
        headers=headers,
    )
    return session.send(action, timeout=timeout, check=check)
