"""The SIP NOTIFY requests the embedded server would send, written the way chan_sip writes them.

Only the request text is built (and, on request, sent over UDP): the embedded server has no
SIP stack. Header order and fixed values follow what Asterisk 20.20.1 sent in the recordings.
"""

from __future__ import annotations

import email.utils
import secrets
import socket
from collections.abc import Sequence

import attrs

__all__ = ["ALLOW", "Notify", "build_chan_sip_notify"]

ALLOW = "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE"


@attrs.frozen
class Notify:
    """One SIP NOTIFY request: what the phone would receive."""

    peer: str | None
    address: tuple[str, int]
    request_line: str
    headers: tuple[tuple[str, str], ...]
    body: str

    @property
    def text(self) -> str:
        """The whole request as it goes on the wire (CRLF line ends)."""
        head = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return f"{self.request_line}\r\n{head}\r\n{self.body}"

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), or None."""
        folded = name.lower()
        for key, value in self.headers:
            if key.lower() == folded:
                return value
        return None

    def __str__(self) -> str:
        return self.text

    def send_udp(self) -> None:
        """Send the request to ``address`` over UDP (fire and forget, as a test peer expects)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(self.text.encode("utf-8", "surrogateescape"), self.address)


def build_chan_sip_notify(
    *,
    peer: str | None,
    address: tuple[str, int],
    variables: Sequence[tuple[str, str]],
    local: tuple[str, int] = ("127.0.0.1", 5060),
    user_agent: str = "Asterisk PBX 20.20.1",
    call_id: str | None = None,
) -> Notify:
    """The NOTIFY chan_sip's ``manager_sipnotify`` sends: fixed headers, then
    ``Subscription-State: terminated``, then each variable as a header in order; ``Content``
    variables are body lines joined with CRLF; ``Content-Length`` is computed, never taken."""
    host, port = address
    local_host, local_port = local
    target = f"sip:{host}:{port}"
    # chan_sip names its own port in From only when it is not the standard 5060
    from_host = local_host if local_port == 5060 else f"{local_host}:{local_port}"
    headers: list[tuple[str, str]] = [
        ("Via", f"SIP/2.0/UDP {local_host}:{local_port};branch=z9hG4bK{secrets.token_hex(4)}"),
        ("Max-Forwards", "70"),
        ("From", f'"asterisk" <sip:asterisk@{from_host}>;tag=as{secrets.token_hex(4)}'),
        ("To", f"<{target}>"),
        ("Contact", f"<sip:asterisk@{local_host}:{local_port}>"),
        ("Call-ID", call_id or f"{secrets.token_hex(16)}@{local_host}:{local_port}"),
        ("CSeq", "102 NOTIFY"),
        ("User-Agent", user_agent),
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Allow", ALLOW),
        ("Supported", "replaces, timer"),
        ("Subscription-State", "terminated"),
    ]
    body_lines: list[str] = []
    for name, value in variables:
        folded = name.lower()
        if folded == "content":
            body_lines.append(value)
        elif folded == "content-length":
            continue  # chan_sip ignores it and computes its own
        else:
            headers.append((name, value))
    body = "\r\n".join(body_lines)
    headers.append(("Content-Length", str(len(body.encode("utf-8", "surrogateescape")))))
    return Notify(
        peer=peer,
        address=address,
        request_line=f"NOTIFY {target} SIP/2.0",
        headers=tuple(headers),
        body=body,
    )
