"""Responses, events and lists as HTML tables for notebooks, and as aligned text elsewhere.

Everything the server sent is escaped: a header value is data, never markup, and never a
terminal control sequence either (``terminal_text``, ``terminal_json``). The functions take
any objects with ``.headers`` (ordered name/value pairs) and ``.get(name)``, so they render
``sdk.wire.message`` objects without importing them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: this module imports nothing of sdk
    from sdk.wire.message import Event, Response

__all__ = [
    "STATUS_COLORS",
    "event_columns",
    "events_html",
    "events_text",
    "html_table",
    "mask_url",
    "response_html",
    "status_html",
    "terminal_json",
    "terminal_text",
    "text_table",
]

# What a terminal may act on rather than show: C0 controls (ESC starts CSI and OSC
# sequences), DEL, C1 controls (U+009B is a one-character CSI), the bidirectional formatting
# characters (they reorder what is shown), the Unicode line and paragraph separators, and
# lone surrogates (which no terminal encoding can write).
_C0 = "\x00-\x1f"
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_UNSAFE = re.compile(f"[{_C0}{_OTHERS}]")
_UNSAFE_IN_JSON = re.compile(f"[{_OTHERS}]")  # json.dumps escapes C0 itself


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str, *, keep: str = "") -> str:
    """``text`` safe to write to a terminal: every control character (but those in
    ``keep``, such as ``"\\n"``) and every bidi override shows as a Python-style escape
    (``\\x1b``, ``\\u202e``) instead of acting on the terminal."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def terminal_json(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON that decodes to exactly ``value`` and writes no control character
    raw: json.dumps escapes C0 controls; DEL, C1, bidi overrides, separators and lone
    surrogates become ``\\uXXXX`` escapes too (they only occur inside strings)."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def mask_url(url: str) -> str:
    """``url`` as it may be shown: a password in it (``ami://user:pw@host``) becomes ``***``.

    The password runs from the colon after the user name to the last ``@``, so one holding
    ``/``, ``?``, ``#`` or ``@`` (which a URL should have percent-encoded) is masked whole
    too. A URL carries a password exactly when this changes it."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    user, colon, after = rest.partition(":")
    if not colon or "@" not in after or any(c in user for c in "@/?#"):
        return url
    return f"{scheme}{sep}{user}:***@{after.rpartition('@')[2]}"


# Colors with JupyterLab's theme variables first, so dark themes keep their contrast.
STATUS_COLORS = {
    "success": "var(--jp-success-color1, #2e7d32)",
    "error": "var(--jp-error-color1, #c62828)",
    "goodbye": "var(--jp-warn-color1, #ef6c00)",
}
_NEUTRAL = "var(--jp-ui-font-color2, #616161)"
_CELL = "text-align:left;vertical-align:top;padding:1px 8px;white-space:pre-wrap"


def _cell(tag: str, text: str, extra: str = "") -> str:
    return f"<{tag} style='{_CELL}'{extra}>{html.escape(text)}</{tag}>"


def html_table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, css_class: str = "ami-table"
) -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(_cell("th", c) for c in columns)
    body = "".join("<tr>" + "".join(_cell("td", v) for v in row) + "</tr>" for row in rows)
    return f"<table class='{css_class}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def text_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, width: int = 40) -> str:
    """An aligned text table; cells longer than ``width`` are cut with an ellipsis. Line
    ends show as spaces, other control characters escaped (``terminal_text``)."""

    def cut(text: str) -> str:
        text = terminal_text(text.replace("\r", " ").replace("\n", " "))
        return text if len(text) <= width else text[: width - 1] + "…"

    cells = [[cut(c) for c in columns]] + [[cut(v) for v in row] for row in rows]
    sizes = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def event_columns(events: Iterable[Event]) -> list[str]:
    """Every header name of ``events``, in order of first appearance (a column each)."""
    columns: dict[str, str] = {}
    for event in events:
        for name, _ in event.headers:
            columns.setdefault(name.lower(), name)
    return list(columns.values())


def _rows(events: Sequence[Event], columns: Sequence[str]) -> list[list[str]]:
    return [[event.get(c) or "" for c in columns] for event in events]


def events_html(events: Sequence[Event], *, limit: int | None = None) -> str:
    """Events as one table, a row an event and a column a header; the last ``limit`` only."""
    shown = list(events) if limit is None else list(events)[-limit:] if limit else []
    columns = event_columns(shown)
    note = ""
    if len(shown) < len(events):
        note = f"<div style='color:{_NEUTRAL}'>last {len(shown)} of {len(events)} events</div>"
    if not shown:
        return f"<div class='ami-table' style='color:{_NEUTRAL}'>no events</div>"
    return note + html_table(columns, _rows(shown, columns))


def events_text(events: Sequence[Event]) -> str:
    """Events as an aligned text table (``(no events)`` when there are none)."""
    if not events:
        return "(no events)"
    columns = event_columns(events)
    return text_table(columns, _rows(events, columns))


def status_html(status: str, text: str | None = None) -> str:
    """A status word in its color (Success green, Error red), then ``text``."""
    color = STATUS_COLORS.get(status.lower(), _NEUTRAL)
    out = f"<b style='color:{color}'>{html.escape(status or '?')}</b>"
    if text:
        out += f" {html.escape(text)}"
    return out


def response_html(response: Response) -> str:
    """A response: its status and message, its headers, then its list items as a table."""
    parts = [f"<div class='ami-status'>{status_html(response.status, response.message)}</div>"]
    rows = [[name, value] for name, value in response.headers]
    rows.extend(["", line] for line in response.unparsed)
    parts.append(html_table(["Header", "Value"], rows))
    events = list(response.events)
    if events or response.is_list:
        complete = response.complete
        tail = f", ended by {complete.name}" if complete is not None else ""
        noun = "item" if len(events) == 1 else "items"
        parts.append(f"<div class='ami-list'>{len(events)} list {noun}{html.escape(tail)}</div>")
        if events:
            parts.append(events_html(events))
    return "".join(parts)
