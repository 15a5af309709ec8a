"""res_pjsip's manager actions as Asterisk 22.10.1 answered them, and the NOTIFY it sends.

PJSIPNotify checks its arguments in res_pjsip_notify's order (payload, then targets), strips
an ``sip/`` or ``pjsip/`` prefix from the endpoint, and for each contact of the endpoint's
AORs builds the request res_pjsip builds: ``Subscription-State: terminated`` first, then the
variables as headers (``Event`` once; Call-ID, Contact, CSeq, To, From, Record-Route, Route,
Request-URI and Via refused), then Max-Forwards, User-Agent, the body's Content-Type and a
padded Content-Length. ``Content`` lines make the body only when a Content-Type is given.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sdk.actions import ACTIONS
from sdk.model.received import Received
from sdk.testing.context import Context, Handler
from sdk.testing.handlers.lists import echo_id, send_list
from sdk.testing.request import ReceivedMessage
from sdk.testing.sip import Notify

__all__ = ["HANDLERS", "REFUSED_HEADERS", "build_pjsip_notify"]

log = logging.getLogger("sdk.testing.handlers.res_pjsip")

REFUSED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Call-ID",
        "Contact",
        "CSeq",
        "To",
        "From",
        "Record-Route",
        "Route",
        "Request-URI",
        "Via",
    )
)


def _uri_parts(uri: str) -> tuple[str | None, str, int]:
    """user, host and port of ``sip:user@host:port``."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    rest = rest.split(";", 1)[0]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    return (user or None), host, int(port) if port.isdigit() else 5060


def build_pjsip_notify(
    *,
    endpoint: str,
    contact: str,
    variables: Sequence[tuple[str, str]],
    user_agent: str,
    cseq: int = 1,
    local: tuple[str, int] = ("127.0.0.1", 5062),
) -> Notify:
    user, host, port = _uri_parts(contact)
    local_host, local_port = local
    headers: list[tuple[str, str]] = [
        ("Via", f"SIP/2.0/UDP {local_host}:{local_port};rport;branch=z9hG4bKPj{uuid.uuid4()}"),
        ("From", f"<sip:{endpoint}@{local_host}>;tag={uuid.uuid4()}"),
        ("To", f"<sip:{user + '@' if user else ''}{host}>"),
        ("Contact", f"<sip:{endpoint}@{local_host}:{local_port}>"),
        ("Call-ID", str(uuid.uuid4())),
        ("CSeq", f"{cseq} NOTIFY"),
        ("Subscription-State", "terminated"),
    ]
    content_type: str | None = None
    body_lines: list[str] = []
    has_event = False
    for name, value in variables:
        folded = name.lower()
        if folded == "content-type":
            content_type = value
        elif folded == "content":
            body_lines.append(value)
        elif folded == "content-length":
            continue
        elif folded in REFUSED_HEADERS:
            log.warning("PJSIPNotify: the %s header is not allowed; skipped", name)
        elif folded == "event":
            if has_event:
                log.warning("PJSIPNotify: only one Event header is allowed; skipped %r", value)
                continue
            has_event = True
            headers.append(("Event", value))
        else:
            headers.append((name, value))
    headers += [("Max-Forwards", "70"), ("User-Agent", user_agent)]
    body = ""
    if content_type is not None:
        headers.append(("Content-Type", content_type))
        body = "\r\n".join(body_lines)
    length = len(body.encode("utf-8", "surrogateescape"))
    headers.append(("Content-Length", f"{length:>5}" if length else " 0"))
    return Notify(
        peer=endpoint,
        address=(host, port),
        request_line=f"NOTIFY {contact} SIP/2.0",
        headers=tuple(headers),
        body=body,
    )


def _strip_prefix(name: str) -> str:
    low = name.lower()
    for prefix in ("pjsip/", "sip/"):
        if low.startswith(prefix):
            return name[len(prefix) :]
    return name


def pjsip_notify(ctx: Context, request: ReceivedMessage) -> None:
    endpoint_name = request.get("Endpoint") or ""
    uri = request.get("URI") or ""
    channel = request.get("Channel") or ""
    option = request.get("Option") or ""
    variable = request.get("Variable") or ""
    targets = sum(1 for t in (endpoint_name, uri, channel) if t)
    if bool(option) == bool(variable):
        ctx.error(
            request,
            "PJSIPNotify requires either an Option or Variable(s).You must use only one of them.",
        )
        return
    if targets > 1:
        ctx.error(
            request,
            "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.  You must use only one of them.",
        )
        return
    if targets == 0:
        ctx.error(request, "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.")
        return
    if option:
        variables = ctx.pbx.notify_option(option)
        if variables is None:
            ctx.error(
                request, f"Unable to find notify type '{option}'\n"
            )  # the stray LF is Asterisk's
            return
    else:
        variables = list(Received(ACTIONS["PJSIPNotify"], request).variables)
    if endpoint_name:
        name = _strip_prefix(endpoint_name)
        endpoint = ctx.pbx.pjsip_endpoints.get(name)
        if endpoint is None:
            ctx.error(request, f"Unable to retrieve endpoint {name}")
            return
        for contact in endpoint.contacts:
            ctx.record_notify(
                build_pjsip_notify(
                    endpoint=endpoint.name,
                    contact=contact,
                    variables=variables,
                    user_agent=f"Asterisk PBX {ctx.asterisk_version}",
                    cseq=ctx.pbx.next_cseq(),
                    local=ctx.pbx.sip_address,
                )
            )
    elif channel:
        if ctx.pbx.find_channel(channel) is None:
            ctx.error(request, "Channel not found")
            return
    # a bare URI is accepted, but without a default outbound endpoint nothing is sent
    ctx.ack(request, "NOTIFY sent")


def pjsip_show_endpoints(ctx: Context, request: ReceivedMessage) -> None:
    items = [
        (
            "EndpointList",
            echo_id(request)
            + [
                ("ObjectType", "endpoint"),
                ("ObjectName", endpoint.name),
                ("Transport", ""),
                ("Aor", endpoint.aor),
                ("Auths", ""),
                ("OutboundAuths", ""),
                ("Contacts", "".join(f"{endpoint.aor}/{c}," for c in endpoint.contacts)),
                ("DeviceState", "Not in use" if endpoint.contacts else "Unavailable"),
                ("ActiveChannels", "0"),
            ],
        )
        for endpoint in ctx.pbx.pjsip_endpoints.values()
    ]
    send_list(
        ctx,
        request,
        "A listing of Endpoints follows, presented as EndpointList events",
        items,
        "EndpointListComplete",
    )


HANDLERS: dict[str, Handler] = {
    "PJSIPNotify": pjsip_notify,
    "PJSIPShowEndpoints": pjsip_show_endpoints,
}
