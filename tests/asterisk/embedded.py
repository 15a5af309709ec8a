"""An embedded ``AMIServer`` configured from the files the real server reads.

The fidelity test compares a real server with the embedded one "configured the same way":
so the embedded server is built from the real server's installed configuration (its
``etc/asterisk``), not from a second description of it. Read here: manager.conf (users and
their classes), sip.conf (chan_sip peers), pjsip.conf (endpoints, their AORs' contacts,
the transport's address), pjsip_notify.conf (PJSIPNotify's options) and extensions.conf
(the dialplan). Only what these test servers use is understood.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from servers import Config

from sdk.testing import AMIServer

Section = tuple[str, list[tuple[str, str]]]


def read_conf(path: Path) -> list[Section]:
    """An Asterisk config file as (section, [(key, value)]) in order; ``=>`` and ``=`` alike,
    ``;`` comments dropped, a section name that repeats (pjsip.conf) kept twice."""
    sections: list[Section] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and "]" in line:
            sections.append((line[1 : line.index("]")], []))
            continue
        key, _, value = line.partition("=")
        value = value[1:] if value.startswith(">") else value
        if sections:
            sections[-1][1].append((key.strip(), value.strip()))
    return sections


def _first(pairs: list[tuple[str, str]], key: str, default: str = "") -> str:
    return next((v for k, v in pairs if k.lower() == key), default)


def _dialplan(path: Path) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """``exten => 100,1,Answer()`` / ``same => n,Wait(30)`` into context -> exten -> steps."""
    plan: dict[str, dict[str, list[tuple[str, str]]]] = {}
    exten = ""
    for context, pairs in read_conf(path):
        if context == "general":
            continue
        for key, value in pairs:
            if key not in ("exten", "same"):
                continue
            parts = value.split(",", 2 if key == "exten" else 1)
            if key == "exten":
                exten = parts[0]
            app = re.fullmatch(r"(\w+)\((.*)\)", parts[-1])
            name, data = (app[1], app[2]) if app else (parts[-1], "")
            plan.setdefault(context, {}).setdefault(exten, []).append((name, data))
    return plan


def embedded_like(config: Config, **kwargs: Any) -> AMIServer:
    """A (not started) embedded server for ``config.version`` with the real one's users,
    peers or endpoints, notify options and dialplan."""
    etc = config.etc
    sip = "chan_sip" if (etc / "sip.conf").exists() else "pjsip"
    sip_port = config.sip_port
    if sip == "pjsip":
        for _, pairs in read_conf(etc / "pjsip.conf"):
            if _first(pairs, "type") == "transport":
                sip_port = int(_first(pairs, "bind").rpartition(":")[2])
    server = AMIServer(config.version, sip_port=sip_port, **kwargs)
    for name, pairs in read_conf(etc / "manager.conf"):
        if name != "general":
            server.add_user(
                name,
                _first(pairs, "secret"),
                read=_first(pairs, "read"),
                write=_first(pairs, "write"),
            )
    if sip == "chan_sip":
        for name, pairs in read_conf(etc / "sip.conf"):
            if name == "general":
                continue
            host = _first(pairs, "host")
            port = int(_first(pairs, "port", "5060"))
            server.add_sip_peer(name, None if host == "dynamic" else host, port)
    else:
        sections = read_conf(etc / "pjsip.conf")
        contacts = {
            name: [v for k, v in pairs if k == "contact"]
            for name, pairs in sections
            if _first(pairs, "type") == "aor"
        }
        for name, pairs in sections:
            if _first(pairs, "type") == "endpoint":
                aors = [a.strip() for a in _first(pairs, "aors").split(",") if a.strip()]
                server.add_pjsip_endpoint(name, [c for aor in aors for c in contacts.get(aor, [])])
        for name, pairs in read_conf(etc / "pjsip_notify.conf"):
            server.add_notify_option(name, pairs)
    server.pbx.dialplan = _dialplan(etc / "extensions.conf")
    return server
