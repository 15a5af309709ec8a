"""One editor per field kind, chosen from the field's metadata alone.

``editor_for(action_class, attribute, info)`` picks the editor: a secret field gets a
``SecretText``; a kind of the table (``sdk.model.kinds``) the editor its ``editor`` names in
``EDITORS``; a field whose default is a list of pairs (a kind the table does not know) the
row editor, a field with choices a dropdown, and anything else a text box: the action class
converts and validates what is typed, so a new kind still gets a working form with the
class's own messages.

Each editor gives ``value()`` (None: not given, so the class's default applies), takes
``fill(value)`` from code, shows the problems the class found, and calls its listeners when
the user changes it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import SupportsInt

import attrs
import ipywidgets as W

from sdk.errors import FieldProblem
from sdk.model.fields import TRUE_WORDS, FieldInfo, Pairs
from sdk.model.kinds import KINDS
from sdk.widgets.base import ERROR_COLOR, HINT_COLOR
from sdk.widgets.secret import SecretText

__all__ = [
    "EDITORS",
    "BooleanEditor",
    "EnumEditor",
    "FieldEditor",
    "IntegerEditor",
    "PairsEditor",
    "SecretEditor",
    "TextEditor",
    "editor_for",
    "problems_html",
]


def problems_html(messages: Sequence[str], *, strong: bool = True) -> str:
    """Problem messages, one a line: red once the user has touched the field, grey before."""
    if not messages:
        return ""
    color = ERROR_COLOR if strong else HINT_COLOR
    lines = "".join(f"<div>{html.escape(m)}</div>" for m in messages)
    return f"<div class='ami-problem' style='color:{color}'>{lines}</div>"


class FieldEditor:
    """Base of the editors: the widget, the problems line, listeners and the touched flag."""

    hint = ""
    shows_default = False  # the editor itself shows the server's default (a checkbox does)

    def __init__(self, attribute: str, info: FieldInfo) -> None:
        self.attribute = attribute
        self.info = info
        self.touched = False
        self._listeners: list[Callable[[], object]] = []
        self.problems = W.HTML(layout=W.Layout(margin="0"))
        self.problems.add_class("ami-problems")
        self.widget: W.Widget = self.build()
        self.widget.add_class(f"ami-field-{attribute}")

    # --- what each kind provides ---

    def build(self) -> W.Widget:
        raise NotImplementedError

    def value(self) -> object:
        """What to pass to the action class; None when the field is not given."""
        raise NotImplementedError

    def fill(self, value: object) -> None:
        """Set the editor from a value as the action class takes it."""
        raise NotImplementedError

    # --- shared ---

    def on_change(self, callback: Callable[[], object]) -> None:
        self._listeners.append(callback)

    def _changed(self, _change: object = None) -> None:
        self.touched = True
        for callback in self._listeners:
            callback()

    def show_problems(self, problems: Sequence[FieldProblem]) -> None:
        self.problems.value = problems_html([p.message for p in problems], strong=self.touched)

    def widgets(self) -> list[W.Widget]:
        """Every widget this editor made, for closing."""
        return [self.widget, self.problems]

    def close(self) -> None:
        for widget in self.widgets():
            widget.close()


def _placeholder(info: FieldInfo) -> str:
    if info.default is not None:
        return f"default: {info.default}"
    return "required" if info.required else "not given when empty"


class TextEditor(FieldEditor):
    """Strings, and kinds this module does not know: an empty box means "not given"."""

    def build(self) -> W.Widget:
        self.text = W.Text(
            placeholder=_placeholder(self.info), layout=W.Layout(width="100%", max_width="36em")
        )
        self.text.observe(self._changed, names="value")
        return self.text

    def value(self) -> str | None:
        return self.text.value or None

    def fill(self, value: object) -> None:
        self.text.value = "" if value is None else str(value)


class SecretEditor(FieldEditor):
    """A secret field (Login's Secret, say): its text lives in the kernel only."""

    def build(self) -> W.Widget:
        self.box = SecretText(layout=W.Layout(width="20em"))
        self.box.observe(self._changed, names="revision")
        self.state = W.HTML()
        self.forget = W.Button(description="forget", layout=W.Layout(width="auto"))
        self.forget.on_click(lambda _b: self.box.set_secret(None))
        self.box.observe(self._show_state, names="revision")
        self._show_state()
        return W.HBox([self.box, self.state, self.forget])

    def _show_state(self, _change: object = None) -> None:
        entered = "entered (kept in the kernel only)" if self.box.has_secret else "none entered"
        self.state.value = f"<span style='color:{HINT_COLOR}'>{entered}</span>"

    def value(self) -> str | None:
        return self.box.secret

    def fill(self, value: object) -> None:
        self.box.set_secret(None if value is None else str(value))

    def widgets(self) -> list[W.Widget]:
        return [*super().widgets(), self.box, self.state, self.forget]


class IntegerEditor(FieldEditor):
    """A number box and a "send" tick: a number box is never empty, so the tick says whether
    the field is given. Typing a number ticks it."""

    def build(self) -> W.Widget:
        start = 0
        default = str(self.info.default if self.info.default is not None else "")
        if default.lstrip("+-").isdigit():
            start = int(default)
        self.given = W.Checkbox(
            value=False, description="send", indent=False, layout=W.Layout(width="5em")
        )
        self.number = W.IntText(value=start, layout=W.Layout(width="12em"))
        self.number.observe(self._typed, names="value")
        self.given.observe(self._changed, names="value")
        return W.HBox([self.given, self.number])

    def _typed(self, _change: object) -> None:
        if not self.given.value:
            self.given.value = True  # calls _changed
        else:
            self._changed()

    def value(self) -> int | None:
        return self.number.value if self.given.value else None

    def fill(self, value: object) -> None:
        if value is None:
            self.given.value = False
            return
        if not isinstance(value, (str, SupportsInt)):  # what int() reads
            raise TypeError(f"{self.info.header}: an integer, not {type(value).__name__}")
        self.number.value = int(value)
        self.given.value = True

    def widgets(self) -> list[W.Widget]:
        return [*super().widgets(), self.given, self.number]


class BooleanEditor(FieldEditor):
    """A checkbox. Optional: it starts at the server's default and is sent only when it
    differs from it (no known default: ticked sends true, unticked sends nothing)."""

    shows_default = True

    def build(self) -> W.Widget:
        self.default = str(self.info.default or "").strip().lower() in TRUE_WORDS
        self.box = W.Checkbox(value=self.default, description="yes", indent=False)
        self.box.observe(self._changed, names="value")
        if not self.info.required:
            self.hint = "sent only when it differs from the server's default"
        return self.box

    def value(self) -> bool | None:
        checked: bool = self.box.value  # a Bool trait
        if self.info.required or checked != self.default:
            return checked
        return None

    def fill(self, value: object) -> None:
        if value is None:
            self.box.value = self.default
        elif isinstance(value, str):
            self.box.value = value.strip().lower() in TRUE_WORDS
        else:
            self.box.value = bool(value)


class EnumEditor(FieldEditor):
    """A dropdown of the choices, with a first entry for "not given"."""

    def build(self) -> W.Widget:
        if self.info.required:
            first = "(choose)"
        elif self.info.default is not None:
            first = f"(not given: {self.info.default})"
        else:
            first = "(not given)"
        options: list[tuple[str, str | None]] = [(first, None)]
        options.extend((choice, choice) for choice in self.info.choices)
        self.dropdown = W.Dropdown(options=options, value=None)
        self.dropdown.observe(self._changed, names="value")
        return self.dropdown

    def value(self) -> str | None:
        chosen: str | None = self.dropdown.value  # one of the options' values
        return chosen

    def fill(self, value: object) -> None:
        if value is None:
            self.dropdown.value = None
            return
        for choice in self.info.choices:
            if str(value).lower() == choice.lower():
                self.dropdown.value = choice
                return
        raise ValueError(f"{value!r} is not one of {', '.join(self.info.choices)}")


class _Row:
    """One name/value row of a PairsEditor."""

    def __init__(self, editor: PairsEditor, name: str = "", value: str = "") -> None:
        self.name = W.Text(value=name, placeholder="name", layout=W.Layout(width="12em"))
        self.name.add_class("ami-row-name")
        self.value = W.Text(value=value, placeholder="value", layout=W.Layout(width="20em"))
        self.value.add_class("ami-row-value")

        def button(icon: str, tooltip: str, action: Callable[[_Row], None]) -> W.Button:
            b = W.Button(icon=icon, tooltip=tooltip, layout=W.Layout(width="2.6em"))
            b.add_class(f"ami-row-{tooltip.split()[0].lower()}")
            b.on_click(lambda _b: action(self))
            return b

        self.up = button("arrow-up", "Up one row", editor.move_up)
        self.down = button("arrow-down", "Down one row", editor.move_down)
        self.remove = button("trash", "Remove this row", editor.remove_row)
        self.problems = W.HTML()
        self.box = W.VBox(
            [
                W.HBox([self.name, W.Label("="), self.value, self.up, self.down, self.remove]),
                self.problems,
            ]
        )
        self.name.observe(editor._changed, names="value")
        self.value.observe(editor._changed, names="value")

    @property
    def blank(self) -> bool:
        return not self.name.value and not self.value.value

    def widgets(self) -> list[W.Widget]:
        line = self.box.children[0]
        return [self.box, line, *line.children, self.problems]

    def close(self) -> None:
        for widget in self.widgets():
            widget.close()


class PairsEditor(FieldEditor):
    """Rows of name and value (Variable, UserEvent's headers): add, remove, move; a name
    may repeat. Blank rows are left out; problems show under the row they are about."""

    def build(self) -> W.Widget:
        self.rows: list[_Row] = []
        self._positions: list[int] = []  # row of each pair passed to the class
        self.add = W.Button(description="add", icon="plus", layout=W.Layout(width="auto"))
        self.add.add_class("ami-rows-add")
        self.add.on_click(lambda _b: self.add_row())
        self.list = W.VBox()
        return W.VBox([self.list, self.add])

    def add_row(self, name: str = "", value: str = "") -> _Row:
        row = _Row(self, name, value)
        self.rows.append(row)
        self._relayout()
        return row

    def remove_row(self, row: _Row) -> None:
        self.rows.remove(row)
        self._relayout()
        row.close()

    def move_up(self, row: _Row) -> None:
        self._move(row, -1)

    def move_down(self, row: _Row) -> None:
        self._move(row, +1)

    def _move(self, row: _Row, step: int) -> None:
        i = self.rows.index(row)
        j = i + step
        if 0 <= j < len(self.rows):
            self.rows[i], self.rows[j] = self.rows[j], self.rows[i]
            self._relayout()

    def _relayout(self) -> None:
        self.list.children = [row.box for row in self.rows]
        for i, row in enumerate(self.rows):
            row.up.disabled = i == 0
            row.down.disabled = i == len(self.rows) - 1
        self._changed()

    def pairs(self) -> list[tuple[str, str]]:
        """The rows that are not blank, in order."""
        self._positions = [i for i, row in enumerate(self.rows) if not row.blank]
        return [(self.rows[i].name.value, self.rows[i].value.value) for i in self._positions]

    def value(self) -> list[tuple[str, str]] | None:
        return self.pairs() or None

    def fill(self, value: object) -> None:
        pairs = Pairs.of(value)
        if pairs.problems:
            raise ValueError(f"{self.info.header}: {pairs.problems[0][1]}")
        old, self.rows = self.rows, [_Row(self, name, text) for name, text in pairs]
        self._relayout()
        for row in old:
            row.close()

    def show_problems(self, problems: Sequence[FieldProblem]) -> None:
        self.pairs()
        by_row: dict[int, list[str]] = {}
        whole: list[str] = []
        for problem in problems:
            if problem.index is not None and problem.index < len(self._positions):
                by_row.setdefault(self._positions[problem.index], []).append(problem.message)
            else:
                whole.append(problem.message)
        for i, row in enumerate(self.rows):
            row.problems.value = problems_html(by_row.get(i, []), strong=self.touched)
        self.problems.value = problems_html(whole, strong=self.touched)

    def widgets(self) -> list[W.Widget]:
        rows = [w for row in self.rows for w in row.widgets()]
        return [*super().widgets(), self.add, self.list, *rows]


# The editors by the names the kinds give them (``Kind.editor``).
EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor,
    "integer": IntegerEditor,
    "boolean": BooleanEditor,
    "choice": EnumEditor,
    "pairs": PairsEditor,
}


def _takes_pairs(action_class: type, attribute: str) -> bool:
    """True when the attribute's default is a list of pairs (Variables, ExtraHeaders, ...)."""
    try:
        default = attrs.fields_dict(action_class)[attribute].default
    except (KeyError, TypeError, attrs.exceptions.NotAnAttrsClassError):
        return False
    # attrs types Factory as what it makes, so isinstance(default, attrs.Factory) cannot be
    # written for mypy: the factory is found by its attribute instead
    factory = getattr(default, "factory", None)
    if factory is not None:
        return isinstance(factory, type) and issubclass(factory, Pairs)
    return isinstance(default, Pairs)


def editor_for(action_class: type, attribute: str, info: FieldInfo) -> FieldEditor:
    """The editor for one field, from its metadata (see the module's docstring)."""
    kind = KINDS.get(info.kind)
    known = EDITORS.get(kind.editor) if kind is not None and kind.editor else None
    if info.secret and (known is None or known is TextEditor):
        return SecretEditor(attribute, info)
    if known is not None:
        return known(attribute, info)
    if _takes_pairs(action_class, attribute):
        editor: FieldEditor = PairsEditor(attribute, info)
    elif info.choices:
        editor = EnumEditor(attribute, info)
    else:
        editor = TextEditor(attribute, info)
    editor.hint = f"kind {info.kind!r}: entered as {type(editor).__name__[:-6].lower()}"
    return editor
