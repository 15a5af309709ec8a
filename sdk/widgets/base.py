"""What every widget of this package shares: display through its root widget, and colors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as W

from sdk.client.session import Session
from sdk.display import STATUS_COLORS

__all__ = ["ERROR_COLOR", "HINT_COLOR", "OK_COLOR", "Component", "Panel"]

# JupyterLab's theme variables first, so dark themes keep their contrast.
ERROR_COLOR = STATUS_COLORS["error"]  # var(--jp-error-color1, #c62828): as sdk.display shows it
HINT_COLOR = "var(--jp-ui-font-color2, #757575)"
OK_COLOR = STATUS_COLORS["success"]


class Panel(Protocol):
    """What a form or an event log follows when it is given no Session: a
    ``ConnectionPanel``, its session and its connects and disconnects."""

    @property
    def session(self) -> Session | None: ...

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]: ...


class Component:
    """A part of the UI built from ipywidgets; ``widget`` is its root, shown in place of it.

    Composition rather than a widget subclass: the objects keep plain Python attributes (the
    session, a secret) that never become synced widget state.
    """

    widget: W.Widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle: dict[str, Any] | None = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle
