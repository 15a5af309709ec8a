"""``ActionPicker``: choose any generated action by name and get its form; ``Explorer``: the
connection panel, the picker, the event log and the history in one widget."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, overload

import ipywidgets as W

from sdk.actions import ACTIONS
from sdk.client.session import Session
from sdk.model.action import Action
from sdk.widgets.base import HINT_COLOR, Component, Panel
from sdk.widgets.connection import ConnectionPanel
from sdk.widgets.events import EventLog
from sdk.widgets.form import ActionForm, History

__all__ = ["ActionPicker", "Explorer"]


class ActionPicker(Component):
    """A filterable list of actions (default: every action in ``sdk.actions.ACTIONS``); the
    form below rebuilds for the chosen one. Forms share ``history``."""

    def __init__(
        self,
        connection: Session | Panel | None = None,
        *,
        actions: Mapping[str, type[Action]] | None = None,
        history: History | None = None,
        initial: str | None = None,
    ) -> None:
        if actions is None:
            actions = ACTIONS
        self.actions = actions
        self.names = sorted(actions, key=str.lower)
        self.connection = connection
        self.history = history if history is not None else History()
        self.form: ActionForm | None = None

        self.filter = W.Text(
            placeholder="filter actions: sip, queue, ...",
            description="action",
            layout=W.Layout(width="24em"),
        )
        self.filter.add_class("ami-action-filter")
        self.filter.observe(self._filter_changed, names="value")
        self.select = W.Select(options=self.names, rows=8, layout=W.Layout(width="24em"))
        self.select.add_class("ami-action-select")
        self.count = W.HTML()
        self.form_box = W.VBox()
        chooser = W.VBox([self.filter, self.select])
        top = W.HBox([chooser, self.count])
        self.widget = W.VBox([top, self.form_box])
        self.widget.add_class("ami-picker")
        # every widget made here, the inner boxes included: close() closes them all
        self._widgets = [
            self.filter,
            self.select,
            self.count,
            chooser,
            top,
            self.form_box,
            self.widget,
        ]
        self.select.observe(self._selected, names="value")
        self._show_count()
        first = initial if initial is not None else ("Ping" if "Ping" in actions else None)
        self.choose(first or (self.names[0] if self.names else None))

    def _filter_changed(self, change: dict[str, Any]) -> None:
        word = change["new"].strip().lower()
        current = self.select.value
        options = [n for n in self.names if word in n.lower()]
        self.select.options = options
        if current in options:
            self.select.value = current
        self._show_count()

    def _show_count(self) -> None:
        shown = len(self.select.options)
        self.count.value = (
            f"<span style='color:{HINT_COLOR}'>{shown} of {len(self.names)} actions</span>"
        )

    def _selected(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.choose(change["new"])

    @overload
    def choose(self, name: str) -> ActionForm: ...
    @overload
    def choose(self, name: None) -> None: ...
    def choose(self, name: str | None) -> ActionForm | None:
        """Show the form of action ``name`` (any case); None shows no form."""
        if name is not None:
            canonical = getattr(self.actions, "canonical", lambda n: n)(name)
            if canonical is None or canonical not in self.actions:
                raise KeyError(f"no action {name!r}")
            name = canonical
        if self.form is not None and name == self.form.action_class.ACTION:
            return self.form
        old, self.form = self.form, None
        if name is not None:
            self.form = ActionForm(self.actions[name], self.connection, history=self.history)
            self.form_box.children = [self.form.widget]
        else:
            self.form_box.children = [
                W.HTML(f"<i style='color:{HINT_COLOR}'>{html.escape('no action chosen')}</i>")
            ]
        if old is not None:
            old.close()
        if name is not None and self.select.value != name and name in self.select.options:
            self.select.value = name
        return self.form

    def close(self) -> None:
        if self.form is not None:
            self.form.close()
            self.form = None
        for widget in self._widgets:
            widget.close()

    def __repr__(self) -> str:
        chosen = self.form.action_class.ACTION if self.form is not None else "none"
        return f"<ActionPicker {len(self.names)} actions, {chosen} chosen>"


class Explorer(Component):
    """Everything for exploring AMI in one widget: connection, picker and form, events."""

    def __init__(self, panel: ConnectionPanel | None = None, **picker: Any) -> None:
        self.panel = panel if panel is not None else ConnectionPanel()
        self.picker = ActionPicker(self.panel, **picker)
        self.events = EventLog(self.panel)
        self.widget = W.VBox([self.panel.widget, self.picker.widget, self.events.widget])
        self.widget.add_class("ami-explorer")

    @property
    def form(self) -> ActionForm | None:
        return self.picker.form

    def close(self) -> None:
        """Close the widgets, the session, and the embedded server the panel started."""
        self.events.close()
        self.picker.close()
        self.panel.close()
        self.widget.close()

    def __repr__(self) -> str:
        return f"<Explorer {self.panel!r} {self.picker!r}>"
