"""Notebook widgets: a form for any AMI action, a connection panel, an action picker, an event log.

::

    from sdk.widgets import ActionForm, ConnectionPanel, EventLog
    from sdk.actions import SIPnotify

    panel = ConnectionPanel()          # host, port, user, secret; or one click: embedded server
    form = ActionForm(SIPnotify, panel)
    log = EventLog(panel)

Forms are built only from each action class's field metadata (``Action.fields()``), so a new
spec gets a working form with no widget code. Secrets typed into the widgets stay in the
kernel's memory: they are never shown, logged or kept in the widget state a notebook saves.
Needs the ``notebook`` extra (ipywidgets).
"""

from __future__ import annotations

try:
    import ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sdk.widgets needs ipywidgets: pip install 'asterisk-ami-sdk[notebook]'"
    ) from exc

from sdk.widgets.connection import ConnectionPanel
from sdk.widgets.editors import EDITORS, FieldEditor, editor_for
from sdk.widgets.events import EventLog
from sdk.widgets.form import ActionForm, History, Sent
from sdk.widgets.picker import ActionPicker, Explorer
from sdk.widgets.secret import SecretText

__all__ = [
    "EDITORS",
    "ActionForm",
    "ActionPicker",
    "ConnectionPanel",
    "EventLog",
    "Explorer",
    "FieldEditor",
    "History",
    "SecretText",
    "Sent",
    "editor_for",
]
