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

# ruff: noqa: E402 - the imports below come after the check that ipywidgets is installed

from __future__ import annotations

from sdk.extras import require

require("ipywidgets", "sdk.widgets")  # before the modules below import it

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
