"""``ConnectionPanel``: host, port, user, secret, login kind, Connect/Disconnect and the state.

One click on "Start embedded server" starts ``AMIServer.as_recorded()`` (or the server a
factory makes) and connects to it, for exploring offline. The secret box is a ``SecretText``:
what is typed stays in the kernel; the embedded server's secret is read from its user table
and never put into a widget. Forms and event logs given the panel follow its connects and
disconnects through ``on_change``.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from sdk.client.options import DEFAULT_PORT
from sdk.client.session import Session
from sdk.client.url import URLProblem, parse_url
from sdk.errors import AMIError
from sdk.testing import AMIServer
from sdk.widgets.base import ERROR_COLOR, HINT_COLOR, OK_COLOR, Component
from sdk.widgets.secret import SecretText

__all__ = ["ConnectionPanel"]

# What an AMI URL may say that the panel has a field or setting for.
_PANEL_OPTIONS = ("auth", "events", "timeout")

log = logging.getLogger("sdk.widgets")


class ConnectionPanel(Component):
    """Connect to an AMI server from a notebook. ``.session`` is the live session or None.

    ``events`` is what the session asks the server for (``on``, ``off`` or a class list such
    as ``user,system``); an event log needs them on. ``embedded`` makes the server that "Start
    embedded server" starts (default ``AMIServer.as_recorded``) and ``embedded_user`` is the
    user it logs in as.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "admin",
        *,
        auth: str = "md5",
        events: str = "on",
        timeout: float = 10.0,
        embedded: Callable[[], AMIServer] | None = None,
        embedded_user: str = "admin",
    ) -> None:
        self.session: Session | None = None
        self.server: AMIServer | None = None  # the embedded server this panel started
        self.timeout = timeout
        self._embedded = embedded or AMIServer.as_recorded
        self._embedded_user = embedded_user
        self._known: AMIServer | None = None  # a server whose user table gives the secret
        self._listeners: list[Callable[[], None]] = []

        def text(value: str, description: str, css: str, width: str = "16em") -> W.Text:
            widget = W.Text(value=value, description=description, layout=W.Layout(width=width))
            widget.add_class(css)
            return widget

        self.host = text(host, "host", "ami-host")
        self.port = W.BoundedIntText(
            value=port, min=1, max=65535, description="port", layout=W.Layout(width="12em")
        )
        self.port.add_class("ami-port")
        self.username = text(username, "user", "ami-username")
        self.secret = SecretText(description="secret", layout=W.Layout(width="16em"))
        self.secret.add_class("ami-secret")
        self.secret_state = W.HTML()
        self.secret.observe(self._show_secret_state, names="revision")
        self.auth = W.ToggleButtons(
            options=[("MD5", "md5"), ("plain", "plain")], value=auth, description="login"
        )
        self.auth.style.button_width = "5em"
        self.auth.add_class("ami-auth")
        self.events = text(events, "events", "ami-events")
        self.events.placeholder = "on, off, or classes: user,system"
        self.connect_button = W.Button(description="Connect", icon="plug", button_style="primary")
        self.connect_button.add_class("ami-connect")
        self.connect_button.on_click(lambda _b: self.connect())
        self.disconnect_button = W.Button(description="Disconnect", icon="times")
        self.disconnect_button.add_class("ami-disconnect")
        self.disconnect_button.on_click(lambda _b: self.disconnect())
        self.embedded_button = W.Button(
            description="Start embedded server", icon="server", layout=W.Layout(width="auto")
        )
        self.embedded_button.add_class("ami-embedded")
        self.embedded_button.on_click(lambda _b: self.start_embedded())
        self.state = W.HTML()
        self.state.add_class("ami-state")
        rows = [
            W.HBox([self.host, self.port]),
            W.HBox([self.username, self.secret, self.secret_state]),
            W.HBox([self.auth, self.events]),
            W.HBox([self.connect_button, self.disconnect_button, self.embedded_button]),
        ]
        self.widget = W.VBox([W.HTML("<b>AMI connection</b>"), *rows, self.state])
        self.widget.add_class("ami-connection")
        self._widgets = [*rows, *(c for row in rows for c in row.children), self.widget]
        self._widgets.extend([self.widget.children[0], self.state])
        self.disconnect_button.disabled = True
        self._show_secret_state()
        self._show("not connected")

    # --- other ways to make one ---

    @classmethod
    def for_server(
        cls, server: AMIServer, username: str = "admin", **kwargs: Any
    ) -> ConnectionPanel:
        """A panel connected to a running embedded ``server`` as ``username`` (the panel
        does not stop that server: its owner does)."""
        panel = cls(server.host, server.port, username, **kwargs)
        panel._known = server
        panel.connect()
        return panel

    @classmethod
    def from_env(
        cls, url: str | None = None, *, secret: str | None = None, **kwargs: Any
    ) -> ConnectionPanel:
        """A panel for ``ami://user@host:port`` (default ``$AMI_URL``); it connects at once
        when the secret is known (``secret=`` or ``$AMI_SECRET``), else the user types it."""
        url = url or os.environ.get("AMI_URL")
        if not url:
            raise ValueError("no AMI URL given and AMI_URL is not set (ami://user@host:port)")
        parsed = parse_url(url)  # the one reader of AMI URLs: its URLProblem is a ValueError
        if parsed.tls:
            raise URLProblem("uses amis://, and the panel connects without TLS: use ami://")
        for key, value in parsed.options.items():
            if key not in _PANEL_OPTIONS:
                raise URLProblem(f"has the option {key}, which the panel does not take")
            kwargs.setdefault(key, value)
        panel = cls(parsed.host, parsed.port or DEFAULT_PORT, parsed.username, **kwargs)
        secret = secret if secret is not None else os.environ.get("AMI_SECRET")
        if secret is not None:
            panel.connect(secret)
        return panel

    # --- connecting ---

    def _secret_for(self, host: str, port: int, username: str) -> str | None:
        for server in (self._known, self.server):
            if server is None or not server.listening:
                continue
            try:
                address = (server.host, server.port)
            except OSError:  # stopped
                continue
            if address == (host, port) and username in server.users:
                return server.users[username].secret
        return None

    def connect(self, secret: str | None = None) -> bool:
        """Log in with the panel's fields; ``secret`` overrides the secret box. True if
        connected; otherwise the state line says why."""
        host, port, username = self.host.value.strip(), self.port.value, self.username.value
        if secret is None:
            secret = self.secret.secret or self._secret_for(host, port, username)
        if not host or not username:
            self._show("enter a host and a user", error=True)
            return False
        if secret is None:
            self._show("enter the secret (press Enter or leave the box to set it)", error=True)
            return False
        self._close_session()
        self._show(f"connecting to {host}:{port}…")
        try:
            self.session = Session(
                host,
                port,
                username=username,
                secret=secret,
                auth=self.auth.value,
                timeout=self.timeout,
                events=self.events.value.strip() or False,
                reconnect=False,  # a drop shows in the panel, which offers to connect again
            )
        except (AMIError, ValueError, OSError) as exc:
            self._show(f"could not connect: {exc}", error=True)
            self._changed()
            return False
        log.info("panel connected to %s:%s as %s", host, port, username)
        self._changed()
        return True

    def start_embedded(self) -> bool:
        """Start the embedded server (once) and connect to it as ``embedded_user``."""
        if self.server is None:
            try:
                self.server = self._embedded().start()
            except OSError as exc:
                self._show(f"could not start the embedded server: {exc}", error=True)
                return False
        server = self.server
        user = server.users.get(self._embedded_user)
        if user is None:
            self._show(f"the embedded server has no user {self._embedded_user!r}", error=True)
            return False
        self.host.value, self.port.value = server.host, server.port
        self.username.value = user.name
        self.auth.value = "md5"
        return self.connect(user.secret)

    def disconnect(self) -> None:
        """Log off and close the session (the embedded server keeps running)."""
        self._close_session()
        self._show("disconnected")
        self._changed()

    def refresh(self) -> None:
        """Notice a session that ended (Logoff sent from a form, server gone)."""
        session = self.session
        if session is not None and session.closed:
            self._close_session()
            self._show("the connection ended; connect again", error=True)
            self._changed()

    def _close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.close()
            log.info("panel disconnected from %s:%s", session.host, session.port)

    # --- state ---

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after each connect or disconnect; returns its remover."""
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def _changed(self) -> None:
        connected = self.session is not None
        self.connect_button.disabled = connected
        self.disconnect_button.disabled = not connected
        if connected:
            session = self.session
            assert session is not None
            where = ""
            if self.server is not None and session.port == self.server.port:
                where = f" · embedded server as Asterisk {self.server.asterisk_version}"
            self._show(
                f"connected as {session.username} to {session.host}:{session.port}"
                f" · {session.banner} · {session.auth} login · events {session.events_mask}"
                f"{where}",
                ok=True,
            )
        self._notify_listeners()

    def _notify_listeners(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("connection listener %r failed", callback)

    def _show(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        color = ERROR_COLOR if error else OK_COLOR if ok else HINT_COLOR
        mark = "●" if ok else "○"
        self.state.value = f"<span style='color:{color}'>{mark} {html.escape(text)}</span>"

    def _show_secret_state(self, _change: object = None) -> None:
        text = "secret entered" if self.secret.has_secret else ""
        self.secret_state.value = f"<span style='color:{HINT_COLOR}'>{text}</span>"

    @property
    def connected(self) -> bool:
        return self.session is not None and not self.session.closed

    # --- display and cleanup ---

    def close(self) -> None:
        """Disconnect, stop the embedded server this panel started, close the widgets."""
        self._close_session()
        if self.server is not None:
            self.server.stop()
            self.server = None
        self._notify_listeners()
        self._listeners.clear()
        for widget in self._widgets:
            widget.close()

    def __enter__(self) -> ConnectionPanel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return (
            f"<ConnectionPanel {self.username.value}@{self.host.value}:{self.port.value} {state}>"
        )
