"""What a session is told: ``SessionOptions``, from ``Session``'s keywords or an AMI URL.

``SessionOptions`` holds each option checked and in its final form (the TLS context built,
the port resolved, the login's Events header written), so that a bad option fails when the
session is made, before anything connects. ``url_arguments`` turns ``ami://user@host:port?...``
(``amis://`` for TLS, read by ``sdk.client.url``) into ``Session``'s keywords.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import attrs

from sdk.client.auth import BUILT_IN, Auth, auth_strategy
from sdk.client.reconnect import Reconnect, reconnect_policy
from sdk.client.router import DEFAULT_MAX_LIST_ITEMS
from sdk.client.url import parse_url
from sdk.events import EVENTS
from sdk.model.releases import Release, from_version
from sdk.model.values import plain, plain_text
from sdk.wire.parser import DEFAULT_MAX_LINE, DEFAULT_MAX_MESSAGE, DEFAULT_MAX_MESSAGE_LINES, Parser

__all__ = [
    "DEFAULT_EVENT_QUEUE",
    "DEFAULT_PORT",
    "DEFAULT_TLS_PORT",
    "SessionOptions",
    "events_header",
    "url_arguments",
    "tls_context",
]

DEFAULT_PORT = 5038
DEFAULT_TLS_PORT = 5039
DEFAULT_EVENT_QUEUE = 10_000

Events = bool | str | list[str] | tuple[str, ...]


def events_header(events: Events) -> str:
    """The Events header of the login, each class name made plain text (``sdk.model.values``)."""
    value = plain(events)
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, (list, tuple)):
        return ",".join(map(plain_text, value))
    return plain_text(value)


def tls_context(
    tls: bool | ssl.SSLContext, verify: bool, cafile: str | os.PathLike[str] | None
) -> ssl.SSLContext | None:
    """The client's TLS context (None: plain TCP) from ``Session``'s TLS keywords."""
    if isinstance(tls, ssl.SSLContext):
        if cafile is not None or not verify:
            raise ValueError("pass either an ssl.SSLContext or tls_cafile/tls_verify, not both")
        return tls
    if not tls:
        if cafile is not None or not verify:
            raise ValueError("tls_cafile and tls_verify need tls=True (or an amis:// URL)")
        return None
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _given_port(port: int | None) -> int:
    return port or 0  # 0: Asterisk's port for the transport, resolved after tls is known


def _at_least_one(count: int) -> int:
    return max(1, count)


def _release(value: Release | str | int | None) -> Release | None:
    """The override of a server's release: a major (``"20"``) or a version (``20.5.0``)."""
    if value is None or isinstance(value, Release):
        return value
    try:
        return from_version(plain_text(value), "override")
    except ValueError:
        raise ValueError(
            "release must be an Asterisk major such as 20 (or a version such as 20.5.0)"
        ) from None


def _count_limit(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number of at least 1, not {value!r}")


def _keepalive(_: object, __: object, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError("keepalive must be a number of seconds above 0 (or None)")


@attrs.frozen(kw_only=True)
class SessionOptions:
    """A session's options, checked; ``Session``'s docstring says what each one does.

    ``port`` None (or 0) becomes Asterisk's port for the transport (5039 with TLS, else 5038);
    ``auth`` the login's strategy (``sdk.client.auth``); ``events`` the login's Events
    header; ``tls`` the client's context, None for TCP; ``release`` the override of the
    server's release (``sdk.model.releases.Release``), None to learn it from the server.
    """

    host: str = "127.0.0.1"
    port: int = attrs.field(default=None, converter=_given_port)
    username: str = attrs.field(converter=plain)
    auth: Auth = attrs.field(default=BUILT_IN["md5"], converter=auth_strategy)
    timeout: float = 10.0
    events: str = attrs.field(default="off", converter=events_header)
    event_queue_size: int = attrs.field(default=DEFAULT_EVENT_QUEUE, converter=_at_least_one)
    max_line: int = DEFAULT_MAX_LINE
    max_message: int = DEFAULT_MAX_MESSAGE
    max_message_lines: int = DEFAULT_MAX_MESSAGE_LINES
    max_list_items: int = attrs.field(default=DEFAULT_MAX_LIST_ITEMS, validator=_count_limit)
    tls: ssl.SSLContext | None = None
    tls_server_name: str | None = None
    reconnect: Reconnect | None = attrs.field(factory=Reconnect, converter=reconnect_policy)
    keepalive: float | None = attrs.field(default=None, validator=_keepalive)
    release: Release | None = attrs.field(default=None, converter=_release)
    lenient: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.port:  # resolved once, here: it depends on tls
            object.__setattr__(self, "port", DEFAULT_TLS_PORT if self.tls else DEFAULT_PORT)
        self.parser()  # refuses bad limits now, not at the first connect

    def parser(self) -> Parser:
        """A parser for one connection's server bytes, bounded by these limits; each event
        it reads is of its class in ``sdk.events`` (``Event`` when no spec has it)."""
        return Parser(
            max_line=self.max_line,
            max_message=self.max_message,
            max_message_lines=self.max_message_lines,
            event_type=EVENTS.type_of,
        )


def url_arguments(
    url: str | None, secret: str | None, kwargs: dict[str, Any]
) -> tuple[str, int | None, str, str, dict[str, Any]]:
    """``(host, port, username, secret, keywords)`` of ``Session`` for ``url`` (default:
    ``$AMI_URL``) and ``secret`` (default: ``$AMI_SECRET``); the keywords are ``kwargs`` with
    the URL's options added under them (``kwargs`` win). The URL is read by
    ``sdk.client.url.parse_url``, the one reader of AMI URLs. ``Session.from_url`` documents it."""
    kwargs = dict(kwargs)
    url = url or os.environ.get("AMI_URL")
    if not url:
        raise ValueError("no AMI URL given and AMI_URL is not set (ami://user@host:port)")
    parsed = parse_url(url)  # URLProblem, a ValueError, for anything that is no AMI URL
    if secret is None:
        secret = os.environ.get("AMI_SECRET")
    if secret is None:
        raise ValueError("no secret: pass secret= or set AMI_SECRET")
    for key, value in parsed.options.items():
        kwargs.setdefault(key, value)
    if parsed.tls:
        kwargs.setdefault("tls", True)
    return parsed.host, parsed.port, parsed.username, secret, kwargs
