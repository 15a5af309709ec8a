"""A lazy map from AMI action names to their classes.

The generated ``sdk.actions`` package declares which module holds each action; a module is
imported only when its action is first asked for, so ``import sdk`` stays cheap however many
specs there are. Lookups by wire name ignore case, as Asterisk does.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sdk.action import Action

__all__ = ["ActionRegistry"]


class ActionRegistry(Mapping[str, "type[Action]"]):
    """``{wire name: class}``; each class is imported on first use."""

    def __init__(self, package: str, modules: Mapping[str, str]) -> None:
        self._package = package
        self._modules = dict(modules)
        self._folded = {name.lower(): name for name in self._modules}
        self._loaded: dict[str, type[Action]] = {}

    def __getitem__(self, name: str) -> type[Action]:
        cls = self._loaded.get(name)
        if cls is not None:
            return cls
        canonical = self._folded.get(name.lower())
        if canonical is None:
            raise KeyError(name)
        cls = self._loaded.get(canonical)
        if cls is None:
            module = importlib.import_module(f"{self._package}.{self._modules[canonical]}")
            cls = getattr(module, canonical)
            self._loaded[canonical] = cls
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._folded

    def canonical(self, name: str) -> str | None:
        """The wire name as the spec spells it, for any spelling of ``name``; None if unknown."""
        return self._folded.get(name.lower())

    @property
    def loaded(self) -> list[str]:
        """Names of the actions whose modules have been imported so far."""
        return sorted(self._loaded)
