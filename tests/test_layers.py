"""The package's layers, as ``sdk/__init__.py`` draws them, and the rules of its imports.

Every module of ``sdk/`` is read as source (nothing is imported) and each import it makes,
wherever it stands, is held against the layer of what it imports. Imports under
``if TYPE_CHECKING:`` run only for a type checker and may name any layer (an annotation of
``ActionError.response`` needs ``Response``); every other import must go to its own layer or
one below. A module that belongs to no layer fails too, so that the map stays whole.

Within the layers, from now on:

- no cycle: the modules' imports that run (at the top or in a function, not for type
  checking only) form no cycle, so no import has to hide in a function to break one;
- an import stands at the top of its module; inside a function only as a deliberate lazy
  import of an optional or costly module, listed in ``LAZY`` with its reason and commented
  where it stands (as are the two places that import by name at run time, ``DYNAMIC``);
- no module imports a private name (``_x``) of another, nor reads a private attribute that
  nothing in it defines (a few of the standard library's, in ``FOREIGN_PRIVATE``);
- no class name is defined twice in ``sdk/`` (the generated actions apart).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import sdk

SDK = Path(sdk.__file__).parent

# Bottom to top, as the map in sdk/__init__.py lists them. A module's layer is that of the
# longest prefix of its name listed here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("leaves", ("sdk.errors", "sdk.display", "sdk.extras", "sdk.version")),
    ("wire", ("sdk.wire",)),
    ("model", ("sdk.model",)),
    ("actions", ("sdk.actions",)),
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


def _submodule(package: str, name: str) -> str:
    """``package.name`` if that is a module of ``sdk/`` (``from package import name`` imports
    it), else ``package`` (a name the package defines)."""
    if not re.match(r"sdk(\.|$)", package):
        return package
    where = SDK.parent.joinpath(*package.split("."), name)
    return f"{package}.{name}" if where.is_dir() or where.with_suffix(".py").exists() else package


def imports(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """``(line, imported module, for type checking only)`` of every import in ``tree``."""
    found: list[tuple[int, str, bool]] = []

    def visit(nodes: Iterable[ast.AST], typing_only: bool) -> None:
        for child in nodes:
            if _type_checking(child):  # its body runs for a type checker; its else always
                assert isinstance(child, ast.If)
                visit(child.body, True)
                visit(child.orelse, typing_only)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, typing_only) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                # from sdk import actions / from sdk.testing.handlers import core: the module
                found.extend(
                    (child.lineno, _submodule(child.module, alias.name), typing_only)
                    for alias in child.names
                )
            visit(ast.iter_child_nodes(child), typing_only)

    visit([tree], False)
    return [item for item in found if re.match(r"sdk(\.|$)", item[1])]


def sdk_modules() -> list[Path]:
    return sorted(p for p in SDK.rglob("*.py") if "actions" not in p.relative_to(SDK).parts)


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


def test_what_the_else_of_type_checking_imports_counts() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sdk.client.session import Session\n"
        "else:\n"
        "    from sdk.client.session import Session\n"
        "    def later():\n"
        "        import json\n"
    )
    found = upward_imports("sdk.wire.parser", source, "probe.py")
    assert [f.split(":")[1] for f in found] == ["5"], found
    assert function_imports(source, "probe.py") == [(7, "json")]


def test_the_generated_actions_import_only_the_model_and_below() -> None:
    model = layer_of("sdk.model")
    for path in sorted((SDK / "actions").glob("*.py")):
        for line, target, _ in imports(ast.parse(path.read_text(), str(path))):
            if not target.startswith("sdk.actions"):
                assert layer_of(target) <= model, f"{path.name}:{line}: {target}"


def test_the_map_in_the_package_docstring_names_every_layer() -> None:
    doc = sdk.__doc__ or ""
    for name, prefixes in LAYERS:
        assert name in doc, f"the map in sdk/__init__.py does not name the layer {name!r}"
        for prefix in prefixes:
            if prefix != "sdk":
                short = prefix.removeprefix("sdk.")
                assert short in doc, f"the map in sdk/__init__.py does not name {prefix}"


# --- the rules within the layers ------------------------------------------------------------

Sources = dict[str, tuple[str, str]]  # module name -> (file, source)


@functools.cache
def all_sources() -> Sources:
    """Every module of ``sdk/``, the generated actions included."""
    out = {}
    for path in sorted(SDK.rglob("*.py")):
        out[module_name(path)] = (str(path.relative_to(SDK.parent)), path.read_text())
    return out


def generated(where: str) -> bool:
    """Whether ``where`` is a generated action module (sdk/actions/<action>.py)."""
    return where.startswith("sdk/actions/") and not where.endswith("__init__.py")


def import_graph(sources: Sources) -> dict[str, set[str]]:
    """Module -> the modules of ``sources`` it imports when it runs: at the top or in a
    function, not under ``if TYPE_CHECKING:``."""
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, (where, source) in sources.items():
        for _, target, typing_only in imports(ast.parse(source, where)):
            if not typing_only and target in sources and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_cycle_between_the_modules_of_sdk() -> None:
    graph = import_graph(all_sources())
    found = cycles(graph)
    shown = ["; ".join(f"{m} imports {sorted(graph[m] & set(c))}" for m in c) for c in found]
    assert not found, "import cycles:\n" + "\n".join(shown)


def test_the_cycle_check_counts_imports_in_functions_but_not_for_type_checking() -> None:
    sources = {
        "sdk.a": ("a.py", "import sdk.b\n"),
        "sdk.b": ("b.py", "def later():\n    from sdk.a import x\n"),
        "sdk.c": (
            "c.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sdk.a\n",
        ),
        "sdk.d": ("d.py", "import sdk.c\n"),
    }
    sources["sdk.a"] = ("a.py", "import sdk.b\nimport sdk.d\n")
    assert cycles(import_graph(sources)) == [["sdk.a", "sdk.b"]]
    assert cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z"]]


# Imports inside a function: only these, each a lazy import for start-up cost, commented
# where it stands. (module, what it imports): why.
LAZY: dict[tuple[str, str], str] = {
    ("sdk", "sdk.version"): "sdk.__version__ reads package metadata, which is slow to import",
    ("sdk.version", "importlib.metadata"): "asked on first use only: slower than import sdk",
    ("sdk.version", "tomllib"): "only a source tree that was never installed needs it",
    ("sdk.bulk", "tqdm.auto"): "only a run with a progress bar; it looks for ipywidgets",
    ("sdk.cli", "sdk.testing"): "only --embedded: about a quarter of the CLI's start-up",
    ("sdk.cli", "sdk.bulk"): "only ami notify: bulk and YAML, a quarter of the start-up",
    ("sdk.cli", "sdk.version"): "--version: package metadata, slow to import",
}

# Imports by name at run time: only these. module: why.
DYNAMIC: dict[str, str] = {
    "sdk.model.registry": "ACTIONS imports an action's module on first use",
    "sdk.extras": "require() imports an optional dependency, naming its extra when missing",
}


def function_imports(source: str, where: str) -> list[tuple[int, str]]:
    """``(line, imported module)`` of every import inside a function (not for type checking)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):  # only its else runs
                assert isinstance(child, ast.If)
                for other in child.orelse:
                    visit(ast.Module([other], []), in_function)
                continue
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if in_function and isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif in_function and isinstance(child, ast.ImportFrom) and child.module:
                targets = {_submodule(child.module, alias.name) for alias in child.names}
                found.extend((child.lineno, target) for target in sorted(targets))
            visit(child, inner)

    visit(ast.parse(source, where), False)
    return found


def dynamic_imports(source: str, where: str) -> list[int]:
    """Lines that call ``importlib.import_module`` or ``__import__``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source, where))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
        )
    ]


def commented(source: str, line: int) -> bool:
    """Whether line ``line`` (1-based) or the one above it carries a comment."""
    lines = source.splitlines()
    return any("#" in lines[n - 1] for n in (line, line - 1) if n >= 1)


def misplaced_imports(sources: Sources) -> tuple[list[str], set[tuple[str, str]]]:
    """The imports in functions that break the rule, and the ``LAZY`` entries seen."""
    wrong, seen = [], set()
    for name, (where, source) in sources.items():
        for line, target in function_imports(source, where):
            key = (name, target)
            if key not in LAZY:
                wrong.append(f"{where}:{line}: {name} imports {target} inside a function")
            elif not commented(source, line):
                wrong.append(f"{where}:{line}: the lazy import of {target} says not why")
            seen.add(key)
        if dynamic_imports(source, where) and name not in DYNAMIC:
            wrong.append(f"{where}: {name} imports by name at run time")
    return wrong, seen


def test_imports_inside_functions_are_only_the_commented_lazy_ones() -> None:
    wrong, seen = misplaced_imports(all_sources())
    assert not wrong, "\n".join(wrong)
    assert seen == set(LAZY), f"LAZY lists imports that are gone: {sorted(set(LAZY) - seen)}"
    dynamic = {
        name for name, (where, source) in all_sources().items() if dynamic_imports(source, where)
    }
    assert dynamic == set(DYNAMIC), "DYNAMIC lists modules that no longer import by name"


def test_the_function_import_check_sees_what_it_must() -> None:
    probe = (
        "from typing import TYPE_CHECKING\n"
        "import os\n"
        "def f():\n"
        "    import json\n"
        "    if TYPE_CHECKING:\n"
        "        from sdk.client.session import Session\n"
        "    g = lambda: __import__('x')\n"
        "    from sdk import pipes, version  # lazy\n"
    )
    assert function_imports(probe, "probe.py") == [
        (4, "json"),
        (8, "sdk.pipes"),
        (8, "sdk.version"),
    ]
    assert dynamic_imports(probe, "probe.py") == [7]
    wrong, seen = misplaced_imports({"sdk.cli": ("probe.py", probe)})
    assert wrong == [  # sdk.version is one of LAZY's, commented
        "probe.py:4: sdk.cli imports json inside a function",
        "probe.py:8: sdk.cli imports sdk.pipes inside a function",
        "probe.py: sdk.cli imports by name at run time",
    ]
    assert seen == {("sdk.cli", "json"), ("sdk.cli", "sdk.pipes"), ("sdk.cli", "sdk.version")}
    wrong, _ = misplaced_imports({"sdk.cli": ("probe.py", probe.replace("  # lazy", ""))})
    assert "probe.py:8: the lazy import of sdk.version says not why" in wrong
    assert not commented(probe, 4) and commented(probe, 8)


# Private attributes of the standard library that a module reads, each for want of a public
# one. (module, attribute): why.
FOREIGN_PRIVATE: dict[tuple[str, str], str] = {
    ("sdk.cli", "_ArgumentGroup"): "argparse names no public type for an argument group",
    ("sdk.cli", "_actions"): "argparse lists a parser's options nowhere else",
    ("sdk.model.registry", "_getframe"): "sys._getframe: who asked, an import or an attribute",
}


def private(name: str) -> bool:
    """``_x``, not ``__x__`` nor IPython's ``_repr_html_`` protocol."""
    return name.startswith("_") and not name.endswith("_")


def private_reaches(name: str, source: str, where: str) -> list[str]:
    """Where module ``name`` imports a private name of another module, or reads a private
    attribute of something other than ``self``/``cls`` that it defines nowhere itself."""
    tree = ast.parse(source, where)
    defined: set[str] = set()
    modules: set[str] = set()  # names bound to modules of sdk
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            defined.add(node.value)  # a name in __slots__
        elif isinstance(node, ast.Import):
            modules.update(
                a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("sdk")
            )
        elif (
            isinstance(node, ast.ImportFrom) and node.module and re.match(r"sdk(\.|$)", node.module)
        ):
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{where}:{node.lineno}: imports {alias.name} from {node.module}")
                elif _submodule(node.module, alias.name) != node.module:
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not private(node.attr):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        if owner in modules:
            found.append(f"{where}:{node.lineno}: reads {ast.unparse(node)}, private to it")
        elif owner not in ("self", "cls") and node.attr not in defined:
            if (name, node.attr) not in FOREIGN_PRIVATE:
                found.append(f"{where}:{node.lineno}: reads {ast.unparse(node)}, private elsewhere")
    return found


def test_no_module_imports_or_reads_the_private_names_of_another() -> None:
    found = []
    seen = set()
    for name, (where, source) in all_sources().items():
        for problem in private_reaches(name, source, where):
            found.append(problem)
        seen |= {(n, a) for n, a in FOREIGN_PRIVATE if n == name and f".{a}" in source}
    assert not found, "\n".join(found)
    assert seen == set(FOREIGN_PRIVATE), "FOREIGN_PRIVATE lists what is no longer read"


def test_the_private_check_sees_what_it_must() -> None:
    probe = (
        "import sdk.errors as errors\n"
        "from sdk import pipes\n"
        "from sdk.testing.handlers.core import _id, cli_command\n"
        "class A:\n"
        "    __slots__ = ('_mine',)\n"
        "    def f(self, server, other: 'A'):\n"
        "        self._own = other._mine  # defined here: ours\n"
        "        return server._listener, pipes._x, errors._y, self._repr_html_\n"
    )
    found = private_reaches("sdk.probe", probe, "probe.py")
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports _id from sdk.testing.handlers.core",
        "reads server._listener, private elsewhere",
        "reads pipes._x, private to it",
        "reads errors._y, private to it",
    ], found


def class_names(sources: Sources) -> dict[str, list[str]]:
    """Class name -> where each class of that name is defined (any depth), the generated
    actions apart."""
    out: dict[str, list[str]] = {}
    for where, source in sources.values():
        if generated(where):
            continue
        for node in ast.walk(ast.parse(source, where)):
            if isinstance(node, ast.ClassDef):
                out.setdefault(node.name, []).append(f"{where}:{node.lineno}")
    return out


def test_no_class_name_is_defined_twice() -> None:
    twice = {name: places for name, places in class_names(all_sources()).items() if len(places) > 1}
    assert not twice, "\n".join(f"{name}: {', '.join(places)}" for name, places in twice.items())


def test_the_class_name_check_sees_two_of_a_name() -> None:
    sources = {
        "sdk.a": ("sdk/a.py", "class PBX: ...\n"),
        "sdk.b": ("sdk/b.py", "def f():\n    class PBX: ...\n"),
        "sdk.actions.x": ("sdk/actions/x.py", "class PBX: ...\n"),  # generated: apart
    }
    assert class_names(sources)["PBX"] == ["sdk/a.py:1", "sdk/b.py:2"]
