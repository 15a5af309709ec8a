"""AMI URLs, ``ami://user@host:port?option=value`` (``amis://`` for TLS), read in one place.

``Session.from_url``, the ``ami`` command line and PBX config files all read them here, so a
URL means the same everywhere and its problems are told the same way. A problem is a
``URLProblem``: one line naming what is wrong and showing a good URL, worded around a
subject that each front end names (``the AMI URL``, ``--url``, ``AMI_URL``, a config key).
No message repeats any part of the URL: it may be a secret typed in the wrong place.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["EXAMPLE", "OPTIONS", "AMIURL", "URLProblem", "parse_url"]

EXAMPLE = "ami://admin@pbx.example.net:5038"
SCHEMES = {"ami": False, "amis": True}  # scheme: TLS


class URLProblem(ValueError):
    """What is wrong with an AMI URL. ``str()`` words it around "the AMI URL";
    ``worded(subject)`` around another subject, such as the option that gave the URL."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(self.worded("the AMI URL"))

    def worded(self, subject: str) -> str:
        return f"{subject} {self.problem}; a good URL: {EXAMPLE} (amis:// for TLS)"


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _auth(text: str) -> str:
    if text not in ("md5", "plain"):
        raise ValueError
    return text


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError
    return value


def _major(text: str) -> str:
    if not text.isdigit():
        raise ValueError
    return text


# option: (how its text becomes a Session argument, what it expects)
OPTIONS: dict[str, tuple[Callable[[str], object], str]] = {
    "auth": (_auth, "md5 or plain"),
    "events": (str, "event classes, such as on, off or system,call"),
    "timeout": (_seconds, "a number of seconds above 0"),
    "keepalive": (_seconds, "a number of seconds above 0"),
    "reconnect": (_bool, "true or false"),
    "event_queue_size": (_count, "a whole number above 0"),
    "max_message": (_count, "a whole number above 0"),
    "max_message_lines": (_count, "a whole number above 0"),
    "max_list_items": (_count, "a whole number above 0"),
    "tls_verify": (_bool, "true or false"),
    "tls_cafile": (str, "the path of a CA file"),
    "tls_server_name": (str, "a host name"),
    "release": (_major, "an Asterisk major such as 20"),
    "lenient": (_bool, "true or false"),
}
_TLS_ONLY = ("tls_verify", "tls_cafile", "tls_server_name")  # only with amis://


@attrs.frozen
class AMIURL:
    """An AMI URL, read: ``options`` are ``Session`` arguments, already converted."""

    host: str
    port: int | None
    username: str
    tls: bool
    options: dict[str, Any]  # Session's keywords (each of its own type), passed on as they are


def parse_url(url: str) -> AMIURL:
    """Read ``url``; raise ``URLProblem`` for a URL that is not an AMI URL, one that carries
    a password (the secret never goes in a URL), or an option that is unknown or bad."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise URLProblem("has no scheme")
    if scheme.lower() not in SCHEMES:
        raise URLProblem("has a scheme that is not ami:// or amis://")
    try:
        parsed = urllib.parse.urlsplit(url)
        password, host, username = parsed.password, parsed.hostname, parsed.username
    except ValueError:  # a bracket left open, say
        raise URLProblem("cannot be read as a URL") from None
    if password is not None:
        raise URLProblem(
            "carries a password: the secret goes in AMI_SECRET (or a prompt), never in the URL"
        )
    if not username or not host:
        raise URLProblem("needs a user and a host")
    try:
        port = parsed.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parsed.netloc.endswith(":")):
        raise URLProblem("has a bad port: ports are 1 to 65535")
    tls = SCHEMES[scheme.lower()]
    options: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(parsed.query):
        known = OPTIONS.get(key)
        if known is None:
            named = f" {key!r}" if key.isidentifier() else ""  # a name, or not repeated
            raise URLProblem(f"has an unknown option{named}; known: {', '.join(OPTIONS)}")
        convert, expected = known
        try:
            options[key] = convert(value)
        except ValueError:
            raise URLProblem(f"option {key} expects {expected}") from None
        if key in _TLS_ONLY and not tls:
            raise URLProblem(f"option {key} needs amis:// (TLS)")
    return AMIURL(host, port, urllib.parse.unquote(username), tls, options)
