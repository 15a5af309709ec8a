"""The code users copy type-checks: every Python block of the README and every notebook's
code cells pass ``mypy --strict`` against this checkout's ``sdk`` (issue 13 point 6).

The idioms the docs teach (``variables={"Event": "check-sync"}``, a handler for
``pbx.handle``, a DataFrame of targets) are what users' own checked code will write, so
they are checked as such. Each README block is a module of its own (each is a whole
program); a notebook's code cells, in order, are one module, with IPython's magics left
out. The README's own-actions example imports the classes its spec generates: they are
generated first, as the README tells. mypy keeps its cache in ``.mypy_cache``: a second
run re-reads only the snippets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mypy import api

from codegen.render import check, render_all, write
from codegen.spec import load_specs

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".mypy_cache"
# An error line of mypy: path:line: error: message  [code]
ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<rest>error: .*)$", re.M)


class Snippet:
    """One module to check, and where each of its lines came from (for the report)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.origins: list[str] = []

    def add(self, source: str, where: str, first: int) -> None:
        for offset, line in enumerate(source.splitlines()):
            magic = line.lstrip().startswith(("%", "!"))
            self.lines.append("" if magic else line)  # kept blank: the numbers stay true
            self.origins.append(f"{where}, line {first + offset}")


def readme_snippets() -> tuple[list[Snippet], str | None]:
    """One snippet a ```python block of the README; and its spec of the own-actions example
    (the first ```yaml block), if any."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippets = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        first = text.count("\n", 0, match.start(1)) + 1
        snippet = Snippet(f"readme_line_{first}")
        snippet.add(match.group(1), "README.md", first)
        snippets.append(snippet)
    spec = re.search(r"^```yaml\n(.*?)^```", text, re.S | re.M)
    return snippets, spec.group(1) if spec else None


def notebook_snippets() -> list[Snippet]:
    snippets = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        snippet = Snippet("notebook_" + re.sub(r"\W", "_", path.stem))
        for number, cell in enumerate(notebook["cells"]):
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or source.lstrip().startswith("%%"):
                continue  # a cell magic makes the whole cell something else than Python
            snippet.add(source, f"notebooks/{path.name}, cell {number}", 1)
        snippets.append(snippet)
    return snippets


def generate_own_actions(spec: str, into: Path) -> None:
    """What the README's own-actions section has the user run: its spec, rendered into
    ``mypbx/actions`` (the package its example imports)."""
    first, _, _ = spec.partition("\n")
    spec_path = into / "specs" / Path(first.removeprefix("# ")).name
    spec_path.parent.mkdir()
    spec_path.write_text(spec, encoding="utf-8")
    out = into / "mypbx" / "actions"
    files = render_all(load_specs(spec_path.parent), package="mypbx.actions")
    write(check(files, out), out)


def mypy_errors(snippets: list[Snippet], folder: Path) -> list[str]:
    """mypy --strict's errors over ``snippets`` (written to ``folder``), each named by where
    its line came from."""
    paths = {}
    for snippet in snippets:
        path = folder / f"{snippet.name}.py"
        path.write_text("\n".join(snippet.lines) + "\n", encoding="utf-8")
        paths[path.name] = snippet
    stdout, stderr, _status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--cache-dir",
            str(CACHE),
            *(str(folder / name) for name in paths),
        ]
    )
    assert not stderr and re.search(r"^(Success|Found \d+ errors?)", stdout, re.M), stdout + stderr
    errors = []  # those of the snippets: the sdk's own are make lint's (mypy over sdk/)
    for match in ERROR.finditer(stdout):
        snippet = paths.get(Path(match["path"]).name)
        if snippet is not None and Path(match["path"]).parent.name == folder.name:
            errors.append(f"{snippet.origins[int(match['line']) - 1]}: {match['rest']}")
    return errors


def test_readme_and_notebooks_type_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # this checkout's sdk first, whatever is installed; the snippets' folder holds mypbx
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    readme, spec = readme_snippets()
    notebooks = notebook_snippets()
    assert len(readme) >= 5 and len(notebooks) >= 4, "the README's blocks and the notebooks"
    assert spec is not None, "the README's own-actions section has its spec"
    generate_own_actions(spec, tmp_path)
    errors = sorted(mypy_errors(readme + notebooks, tmp_path))
    assert not errors, "mypy --strict finds in the code users copy:\n" + "\n".join(errors)
