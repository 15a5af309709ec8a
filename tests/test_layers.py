"""The package's layers, as ``sdk/__init__.py`` draws them: imports flow one way, downwards.

Every module of ``sdk/`` is read as source (nothing is imported) and each import it makes,
wherever it stands, is held against the layer of what it imports. Imports under
``if TYPE_CHECKING:`` run only for a type checker and may name any layer (an annotation of
``ActionError.response`` needs ``Response``); every other import must go to its own layer or
one below. A module that belongs to no layer fails too, so that the map stays whole.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sdk

SDK = Path(sdk.__file__).parent

# Bottom to top, as the map in sdk/__init__.py lists them. A module's layer is that of the
# longest prefix of its name listed here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("leaves", ("sdk.errors", "sdk.display", "sdk.extras", "sdk.version")),
    ("wire", ("sdk.wire",)),
    ("model", ("sdk.model",)),
    ("actions", ("sdk.actions", "sdk.events")),
    ("client", ("sdk.client",)),
    ("embedded server", ("sdk.testing",)),
    ("public API", ("sdk",)),
    (
        "applications",
        (
            "sdk.notify",
            "sdk.ratelimit",
            "sdk.bulk",
            "sdk.pipes",
            "sdk.cli",
            "sdk.demo",
            "sdk.__main__",
            "sdk.widgets",
        ),
    ),
]


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} belongs to no layer of tests/test_layers.py"
    return rank


def module_name(path: Path) -> str:
    parts = path.relative_to(SDK.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """``(line, imported module, for type checking only)`` of every import in ``tree``."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = typing_only or _type_checking(child)
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                if child.module == "sdk":  # from sdk import actions / pipes / Session
                    for alias in child.names:
                        sub = f"sdk.{alias.name}"
                        target = (
                            sub
                            if (SDK / alias.name).exists() or (SDK / f"{alias.name}.py").exists()
                            else "sdk"
                        )
                        found.append((child.lineno, target, inner))
                else:
                    found.append((child.lineno, child.module, inner))
            visit(child, inner)

    visit(tree, False)
    return [item for item in found if re.match(r"sdk(\.|$)", item[1])]


def sdk_modules() -> list[Path]:
    """Every module of sdk/ but the generated ones (held by the next test)."""
    return sorted(
        p for p in SDK.rglob("*.py") if not {"actions", "events"} & set(p.relative_to(SDK).parts)
    )


def upward_imports(name: str, source: str, where: str) -> list[str]:
    """The imports of module ``name`` (its ``source``) that go to a higher layer."""
    mine = layer_of(name)
    found = []
    for line, target, typing_only in imports(ast.parse(source, where)):
        theirs = layer_of(target)
        if theirs > mine and not typing_only:
            found.append(
                f"{where}:{line}: {name} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]})"
            )
    return found


def test_every_import_goes_to_its_own_layer_or_one_below() -> None:
    upward = []
    for path in sdk_modules():
        where = str(path.relative_to(SDK.parent))
        upward += upward_imports(module_name(path), path.read_text(), where)
    assert not upward, "\n".join(upward)


def test_the_check_sees_an_import_upwards_anywhere_but_for_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sdk.client.session import Session\n"
        "def later():\n"
        "    from sdk.client.session import Session\n"
        "from sdk import actions\n"
    )
    found = upward_imports("sdk.wire.parser", source, "probe.py")
    assert [f.split(":")[1] for f in found] == ["5", "6"], found


def test_the_generated_actions_and_events_import_only_the_model_and_below() -> None:
    model = layer_of("sdk.model")
    for package in ("actions", "events"):
        for path in sorted((SDK / package).glob("*.py")):
            for line, target, _ in imports(ast.parse(path.read_text(), str(path))):
                if not target.startswith(f"sdk.{package}"):
                    assert layer_of(target) <= model, f"{path.name}:{line}: {target}"


def test_the_map_in_the_package_docstring_names_every_layer() -> None:
    doc = sdk.__doc__ or ""
    for name, prefixes in LAYERS:
        assert name in doc, f"the map in sdk/__init__.py does not name the layer {name!r}"
        for prefix in prefixes:
            if prefix != "sdk":
                short = prefix.removeprefix("sdk.")
                assert short in doc, f"the map in sdk/__init__.py does not name {prefix}"
