"""A password box whose text never stays in the widget model.

A widget's model is what JupyterLab sends over the wire and can save into the notebook
(``metadata.widgets``). So the moment the typed text reaches the kernel, ``SecretText`` keeps it
in a private attribute and sets the box back to empty: the saved state only ever holds ``""``.
It syncs on Enter or when the box loses focus (not at each key stroke, which would clear the
box while the user types), and the kernel never echoes the text back to the browser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import ipywidgets
import traitlets

__all__ = ["SecretText"]

if TYPE_CHECKING:

    class _Password(traitlets.HasTraits):
        """``ipywidgets.Password`` as the type checker sees it: ipywidgets ships no types,
        traitlets (its widgets' base) does. What sdk.widgets calls of a DOM widget besides
        the traits is declared here."""

        def add_class(self, className: str) -> Self: ...

        def close(self) -> None: ...

else:
    _Password = ipywidgets.Password


class SecretText(_Password):
    """``ipywidgets.Password`` that moves its value out of the model; read it as ``.secret``."""

    # echo_update=False: ipywidgets would otherwise send the received value back to the browser.
    value = traitlets.Unicode("", help="Always empty in the model").tag(
        sync=True, echo_update=False
    )
    continuous_update = traitlets.Bool(False).tag(sync=True)
    # Not synced: counts the secrets received, so others can observe a change without the text.
    revision = traitlets.Int(0)

    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", "never stored")
        super().__init__(**kwargs)
        self.__secret: str | None = None
        self.observe(self._take, names="value")
        if value:
            self.set_secret(value)

    def _take(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.set_secret(change["new"])

    def set_secret(self, secret: str | None) -> None:
        """Keep ``secret`` (None or "" forgets it) and leave the box empty."""
        self.__secret = secret or None
        if self.value:
            self.value = ""
        self.revision += 1

    @property
    def secret(self) -> str | None:
        """The text last entered, or None."""
        return self.__secret

    @property
    def has_secret(self) -> bool:
        return self.__secret is not None

    def __repr__(self) -> str:
        state = "set" if self.has_secret else "empty"
        return f"<SecretText {state}>"
