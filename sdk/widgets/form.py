"""``ActionForm``: fill in and send any action, built from its class's field metadata alone.

The form validates by building the action, exactly as code would, then, when connected, by
the session's own check of what the server's release has (``session.server.check``): every
problem shows next to its field (under its row for a list field), and Send stays disabled
until both accept the values. Each field the connected release lacks, requires, or takes
fewer values of is marked under it (``sdk.model.releases.field_notes``). What the server answers (or why nothing came
back) shows under the form, never as a traceback, and each send is kept in a ``History``.
"""

from __future__ import annotations

import collections
import html
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs
import ipywidgets as W

from sdk.actions import ACTIONS
from sdk.client.session import Session
from sdk.display import html_table, response_html, status_html, text_table
from sdk.errors import (
    AMIError,
    ConnectionError,
    FieldProblem,
    OutcomeUnknown,
    TimeoutError,
    ValidationError,
)
from sdk.model.action import Action
from sdk.model.releases import field_notes
from sdk.model.values import plain
from sdk.widgets.base import ERROR_COLOR, HINT_COLOR, Component, Panel
from sdk.widgets.editors import FieldEditor, editor_for, problems_html
from sdk.wire.message import Response

__all__ = ["ActionForm", "History", "Sent", "session_of"]

log = logging.getLogger("sdk.widgets")

_HISTORY_COLUMNS = ("time", "action", "ActionID", "status", "message", "ms")


def session_of(connection: Session | Panel | None) -> Session | None:
    """The session behind ``connection``: a Session, or anything with ``.session`` (a panel)."""
    if connection is None or isinstance(connection, Session):
        return connection
    session: Session | None = getattr(connection, "session", None)
    return session


@attrs.frozen
class Sent:
    """One action sent from a form: what went out (secrets masked) and what came back."""

    at: datetime
    action: str
    action_id: str | None
    request: str
    status: str  # the response's status, or what went wrong: timeout, connection lost...
    message: str
    seconds: float
    response: Response | None = attrs.field(default=None, repr=False, eq=False)

    def row(self) -> list[str]:
        return [
            self.at.strftime("%H:%M:%S"),
            self.action,
            self.action_id or "",
            self.status,
            self.message,
            f"{self.seconds * 1000:.0f}",
        ]


class History:
    """What the forms sent in this kernel, newest last; at most ``maxlen`` entries."""

    def __init__(self, maxlen: int = 200) -> None:
        self.entries: collections.deque[Sent] = collections.deque(maxlen=maxlen)
        self.widget = W.HTML(value=self._repr_html_())
        self.widget.add_class("ami-history")

    def add(self, sent: Sent) -> None:
        self.entries.append(sent)
        self.widget.value = self._repr_html_()

    def clear(self) -> None:
        self.entries.clear()
        self.widget.value = self._repr_html_()

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Sent]:
        return iter(self.entries)

    def __getitem__(self, index: int) -> Sent:
        return self.entries[index]

    def _repr_html_(self) -> str:
        if not self.entries:
            return f"<div style='color:{HINT_COLOR}'>nothing sent yet</div>"
        rows = [sent.row() for sent in reversed(self.entries)]
        table = html_table(_HISTORY_COLUMNS, rows, css_class="ami-table ami-history-table")
        details = "".join(
            f"<details><summary>{html.escape(' '.join(sent.row()[:3]))}</summary>"
            f"<pre>{html.escape(sent.request)}</pre></details>"
            for sent in reversed(self.entries)
        )
        return table + details

    def __str__(self) -> str:
        return text_table(_HISTORY_COLUMNS, [sent.row() for sent in self.entries])


def _description(action_class: type[Action]) -> str:
    doc = inspect.cleandoc(action_class.__doc__ or "")
    return doc.partition("\n")[2].strip()


class ActionForm(Component):
    """A form for ``action_class`` (a class from ``sdk.actions``, or its name).

    ``connection`` is a ``Session``, a ``ConnectionPanel`` (the form follows its connects and
    disconnects), or None (the form validates but cannot send). ``history`` may be shared
    between forms. ``fill(**values)`` sets fields from code; ``send()`` is the Send button.
    """

    def __init__(
        self,
        action_class: type[Action] | str,
        connection: Session | Panel | None = None,
        *,
        history: History | None = None,
        timeout: float | None = None,
    ) -> None:
        if isinstance(action_class, str):
            action_class = ACTIONS[action_class]
        self.action_class = action_class
        self.connection = connection
        self.history = history if history is not None else History()
        self.action: Action | None = None
        self.problems: list[FieldProblem] = []
        self.last_response: Response | None = None
        self.last_error: str | None = None
        self._sending = False
        self._unsubscribe: Callable[[], None] | None = None
        self._own: list[W.Widget] = []  # widgets to close with the form

        self.editors: dict[str, FieldEditor] = {}
        self.release_notes: dict[str, W.HTML] = {}  # under each field: what the release does
        self.warnings: list[str] = []  # what a lenient session would send all the same
        rows = []
        for attribute, info in action_class.fields():
            editor = editor_for(action_class, attribute, info)
            editor.on_change(self.validate)
            self.editors[attribute] = editor
            rows.append(self._field_row(editor))
        self.title = self._html(self._title_html(), "ami-title")
        self.action_problems = self._html("", "ami-action-problems")
        self.preview = self._html("", "ami-preview")
        self.send_button = W.Button(description="Send", icon="paper-plane", button_style="primary")
        self.send_button.add_class("ami-send")
        self.send_button.on_click(lambda _b: self.send())
        self.timeout = W.BoundedFloatText(
            value=timeout or self._default_timeout(),
            min=0.1,
            max=3600,
            step=1,
            description="timeout (s)",
            layout=W.Layout(width="12em"),
        )
        self.status = self._html("", "ami-send-status")
        self.response = self._html("", "ami-response")
        history_box = W.Accordion(children=[self.history.widget], titles=("History",))
        controls = W.HBox([self.send_button, self.timeout, self.status])
        if not rows:
            rows = [self._html(f"<i style='color:{HINT_COLOR}'>no fields</i>", "ami-no-fields")]
        self.fields_box = W.VBox(rows)
        self.widget = W.VBox(
            [
                self.title,
                self.fields_box,
                self.action_problems,
                self.preview,
                controls,
                self.response,
                history_box,
            ]
        )
        self.widget.add_class("ami-form")
        self._own.extend([self.send_button, self.timeout, controls, history_box, self.fields_box])
        self._own.append(self.widget)
        on_change = getattr(connection, "on_change", None)
        if on_change is not None:
            self._unsubscribe = on_change(self._connection_changed)
        self._show_release()
        self.validate()

    # --- building ---

    def _html(self, value: str, css_class: str) -> W.HTML:
        widget = W.HTML(value=value)
        widget.add_class(css_class)
        self._own.append(widget)
        return widget

    def _title_html(self) -> str:
        cls = self.action_class
        facts = [f"module {cls.MODULE}" if cls.MODULE else ""]
        if cls.PRIVILEGE:
            facts.append(f"needs write class {cls.PRIVILEGE}")
        available = getattr(cls, "AVAILABLE_IN", ())
        if available:
            facts.append("Asterisk " + ", ".join(available))
        facts_text = " · ".join(f for f in facts if f)
        return (
            f"<h3 style='margin:0.2em 0'>{html.escape(cls.ACTION)}</h3>"
            f"<div>{html.escape(cls.SUMMARY)}</div>"
            f"<div style='color:{HINT_COLOR}'>{html.escape(_description(cls))}</div>"
            f"<div style='color:{HINT_COLOR};font-size:90%'>{html.escape(facts_text)}</div>"
        )

    def _field_row(self, editor: FieldEditor) -> W.Widget:
        info = editor.info
        mark = (
            f" <span title='required' style='color:{ERROR_COLOR}'>*</span>"
            if info.needs_value
            else ""
        )
        label = W.HTML(
            f"<b>{html.escape(info.header)}</b>{mark}"
            f"<div style='color:{HINT_COLOR};font-size:85%'>{html.escape(editor.attribute)}</div>",
            layout=W.Layout(width="11em", min_width="11em"),
        )
        notes = [info.doc]
        if editor.hint:
            notes.append(f"({editor.hint})")
        if info.default is not None and not editor.shows_default:
            notes.append(f"Server default: {info.default}.")
        doc = W.HTML(
            f"<div class='ami-doc' style='color:{HINT_COLOR};font-size:90%'>"
            f"{html.escape(' '.join(n for n in notes if n))}</div>"
        )
        note = self._html("", "ami-release-note")
        self.release_notes[editor.attribute] = note
        column = W.VBox([editor.widget, doc, note, editor.problems], layout=W.Layout(width="100%"))
        row = W.HBox([label, column])
        row.add_class("ami-field")
        self._own.extend([label, doc, column, row])
        return row

    def _default_timeout(self) -> float:
        session = session_of(self.connection)
        return float(session.timeout) if session is not None else 10.0

    # --- filling and validating ---

    def fill(self, **values: object) -> ActionForm:
        """Set fields by attribute name, as the action class takes them (None: not given)."""
        unknown = sorted(set(values) - set(self.editors))
        if unknown:
            raise TypeError(
                f"{self.action_class.ACTION} has no field {', '.join(unknown)};"
                f" fields: {', '.join(self.editors) or 'none'}"
            )
        for name, value in values.items():
            self.editors[name].fill(plain(value))  # an Enum by its value, as actions take it
        self.validate()
        return self

    def values(self) -> dict[str, Any]:
        """What the form passes to the action class: the fields that are given. (Any: the
        keywords of whichever action class the form is for.)"""
        out = {}
        for name, editor in self.editors.items():
            value = editor.value()
            if value is not None:
                out[name] = value
        return out

    def validate(self) -> bool:
        """Build the action from the fields; show every problem next to its field."""
        try:
            self.action = self.action_class(**self.values())
            self.problems = []
        except ValidationError as exc:
            self.action = None
            self.problems = list(exc.errors)
        except Exception as exc:  # a converter that refuses a value by raising
            self.action = None
            self.problems = [FieldProblem(None, None, f"cannot build the action: {exc}")]
        self._check_with_server()
        by_field: dict[str, list[FieldProblem]] = {}
        whole: list[str] = []
        for problem in self.problems:
            if problem.field in self.editors:
                by_field.setdefault(problem.field, []).append(problem)
            else:
                whole.append(str(problem) if problem.field else problem.message)
        for name, editor in self.editors.items():
            editor.show_problems(by_field.get(name, []))
        self.action_problems.value = problems_html(whole)
        if self.action is not None:
            lenient = "".join(
                f"<div style='color:{HINT_COLOR}'>{html.escape(w)}</div>" for w in self.warnings
            )
            self.preview.value = (
                f"<div style='color:{HINT_COLOR}'>will send (ActionID added when sent):</div>"
                f"<pre style='margin:0'>{html.escape(self.action.describe())}</pre>{lenient}"
            )
        else:
            count = len(self.problems)
            self.preview.value = (
                f"<div style='color:{HINT_COLOR}'>{count} problem{'s' if count != 1 else ''}"
                " to fix before sending</div>"
            )
        self._update_send()
        return self.action is not None

    @property
    def valid(self) -> bool:
        return self.action is not None

    def _check_with_server(self) -> None:
        """What the connected server would refuse of the built action (its release, its
        list of actions), as the session checks it before sending; nothing is sent."""
        self.warnings = []
        session = session_of(self.connection)
        if self.action is None or session is None or session.closed:
            return
        try:
            self.warnings = session.server.check(self.action, quiet=True)
        except ValidationError as exc:
            self.action = None
            self.problems = list(exc.errors)

    def _show_release(self) -> None:
        """Mark each field that the connected server's release takes otherwise."""
        session = session_of(self.connection)
        release = None if session is None or session.closed else session.release
        notes = field_notes(self.action_class, release.docs) if release and release.docs else {}
        color = HINT_COLOR if release is None or release.lenient else ERROR_COLOR
        for name, widget in self.release_notes.items():
            note = notes.get(name)
            widget.value = (
                f"<div style='color:{color};font-size:90%'>{html.escape(note)}"
                f" (the server runs {html.escape(str(release))})</div>"
                if note
                else ""
            )

    def _connection_changed(self) -> None:
        self._show_release()
        self.validate()

    def _update_send(self) -> None:
        session = session_of(self.connection)
        if self._sending:
            reason = "sending…"
        elif session is None:
            reason = "not connected: use the connection panel"
        elif session.closed:
            reason = "the session is closed: connect again"
        elif self.action is None:
            reason = "fix the fields marked above"
        else:
            reason = ""
        self.send_button.disabled = bool(reason)
        self.status.value = f"<span style='color:{HINT_COLOR}'>{html.escape(reason)}</span>"

    # --- sending ---

    def send(self) -> Response | None:
        """Send the action as filled in; show and return the response (None if none came)."""
        self.validate()
        action = self.action
        session = session_of(self.connection)
        if action is None or session is None or session.closed or self._sending:
            self._update_send()
            return None
        self._sending = True
        self._update_send()
        self.response.value = f"<div style='color:{HINT_COLOR}'>waiting for the answer…</div>"
        started = time.monotonic()
        at = datetime.now()
        response: Response | None = None
        action_id: str | None = None
        try:
            response = session.send(action, timeout=self.timeout.value)
            action_id = response.action_id
            status, message = response.status, response.message or ""
            self.last_error = None
            self.response.value = response_html(response)
            if status.lower() == "goodbye":  # Logoff: the server closes; so does the session
                session.close()
        except AMIError as exc:
            status, message = self._show_error(exc)
            action_id = getattr(exc, "action_id", None)
        except Exception as exc:  # a bug: keep the notebook usable, keep the detail in the log
            log.debug("sending %s failed", action.ACTION, exc_info=True)
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            self._show_failure(status, message)
        finally:
            self._sending = False
        self.last_response = response
        self.history.add(
            Sent(
                at=at,
                action=action.ACTION,
                action_id=action_id,
                request=action.describe(action_id),
                status=status,
                message=message,
                seconds=time.monotonic() - started,
                response=response,
            )
        )
        refresh = getattr(self.connection, "refresh", None)
        if refresh is not None:
            refresh()  # the panel notices a connection that ended (Logoff, a lost server)
        self._update_send()
        return response

    def _show_error(self, exc: AMIError) -> tuple[str, str]:
        if isinstance(exc, ValidationError):
            self.problems = list(exc.errors)
            status, message = "not sent", "; ".join(str(p) for p in exc.errors)
        elif isinstance(exc, TimeoutError):
            got = f" ({len(exc.events)} list items had arrived)" if exc.events else ""
            status, message = "timeout", f"no complete answer within {self.timeout.value} s{got}"
        elif isinstance(exc, OutcomeUnknown):
            status = "connection lost"
            message = f"{exc}. The action may or may not have run: check before sending again."
        elif isinstance(exc, ConnectionError):
            status, message = "not connected", str(exc)
        else:
            status, message = "error", str(exc)
        self._show_failure(status, message)
        return status, message

    def _show_failure(self, status: str, message: str) -> None:
        self.last_error = f"{status}: {message}"
        self.response.value = (
            f"<div class='ami-error'>{status_html('Error', status)}"
            f"<div>{html.escape(message)}</div></div>"
        )

    # --- display and cleanup ---

    def close(self) -> None:
        """Close every widget of the form (the shared history stays)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for editor in self.editors.values():
            editor.close()
        for widget in self._own:
            widget.close()

    def __repr__(self) -> str:
        count = len(self.problems)
        state = "valid" if self.valid else f"{count} problem{'s' if count != 1 else ''}"
        return f"<ActionForm {self.action_class.ACTION}: {state}>"
