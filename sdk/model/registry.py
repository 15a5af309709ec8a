"""A lazy map from AMI action (or event) names to their classes.

The generated ``sdk.actions`` package declares which module holds each action; a module is
imported only when its action is first asked for, so ``import sdk`` stays cheap however many
specs there are. Lookups by wire name ignore case, as Asterisk does; a name that is not
there is answered with the names it may have meant (``sdk.model.suggest``). The generated
``sdk.events`` package is the same kind of map (``sdk.model.event.EventRegistry``).
"""

from __future__ import annotations

import dis
import importlib
import sys
from collections.abc import Iterator, Mapping
from types import FrameType
from typing import Generic, TypeVar

from sdk.model.action import Action
from sdk.model.suggest import did_you_mean, suggest

__all__ = ["ActionRegistry", "Registry", "UnknownAction", "UnknownName"]

_IMPORT_FROM = dis.opmap["IMPORT_FROM"]

C = TypeVar("C", bound=type)


class UnknownName(KeyError):
    """No action (or event) of that name; ``.suggestions`` holds the names it may have
    meant."""

    noun = "name"

    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions

    def __str__(self) -> str:  # not KeyError's repr of the key
        hint = did_you_mean(self.name, self.suggestions)
        return f"no {self.noun} {self.name!r}{hint}"


class UnknownAction(UnknownName):
    """No action of that name."""

    noun = "action"


class Registry(Mapping[str, C], Generic[C]):
    """``{wire name: class}``; each class is imported on first use. ``classes`` names the
    classes whose Python name is not their wire name (``AOC-D``: ``AOC_D``)."""

    unknown: type[UnknownName] = UnknownName

    def __init__(
        self, package: str, modules: Mapping[str, str], classes: Mapping[str, str] | None = None
    ) -> None:
        self._package = package
        self._modules = dict(modules)
        self._classes = dict(classes or {})
        self._folded = {name.lower(): name for name in self._modules}
        self._python = {self._classes.get(name, name): name for name in self._modules}
        self._loaded: dict[str, C] = {}

    def __getitem__(self, name: str) -> C:
        cls = self._loaded.get(name)
        if cls is not None:
            return cls
        canonical = self._folded.get(name.lower()) if isinstance(name, str) else None
        if canonical is None:
            raise self.unknown(name, self.suggest(name) if isinstance(name, str) else [])
        cls = self._loaded.get(canonical)
        if cls is None:
            module = importlib.import_module(f"{self._package}.{self._modules[canonical]}")
            cls = getattr(module, self._classes.get(canonical, canonical))
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

    def suggest(self, name: str) -> list[str]:
        """The names of this registry (actions, or events) ``name`` may have meant, best first
        (``sdk.model.suggest.suggest``)."""
        return suggest(name, self._modules)

    def attribute(self, module: str, name: str) -> C:
        """A package's module ``__getattr__``: the class of ``name`` exactly as the spec spells
        it (its Python name); otherwise an AttributeError with the names it may have meant
        (an ImportError when it comes from ``from package import name``: Python would drop
        the suggestions from an AttributeError there, and say only that the name cannot be
        imported)."""
        wire = self._python.get(name)
        if wire is not None:
            return self[wire]
        hint = "" if name.startswith("_") else did_you_mean(name, self.suggest(name))
        if _importing_from(sys._getframe(1)):
            raise ImportError(f"cannot import name {name!r} from {module!r}{hint}", name=module)
        raise AttributeError(f"module {module!r} has no attribute {name!r}{hint}")

    @property
    def loaded(self) -> list[str]:
        """Names of the actions whose modules have been imported so far."""
        return sorted(self._loaded)


class ActionRegistry(Registry[type[Action]]):
    """``{wire name: action class}`` (the generated ``sdk.actions.ACTIONS``)."""

    unknown = UnknownAction


def _importing_from(getter: FrameType) -> bool:
    """Whether the frame that called a module's ``__getattr__`` (the one above ``getter``'s
    frame) is running ``from module import name``."""
    frame = getter.f_back
    if frame is None:
        return False
    code = frame.f_code
    lasti = frame.f_lasti
    return 0 <= lasti < len(code.co_code) and code.co_code[lasti] == _IMPORT_FROM
