"""Command line.

- ``python -m codegen [--check] [--specs DIR] [--out DIR]``: render specs into classes;
- ``python -m codegen import-docs core-en_US.xml... (--actions A,B | --all)``: write specs
  from Asterisk's documentation XML (``codegen.importer``);
- ``python -m codegen doc-table core-en_US.xml --out FILE``: the names and required flags of
  one documentation file, as the conformance test keeps them (``--events``: its events);
- ``python -m codegen snapshot-table asterisk-V.tar.gz... --out FILE``: the headers of the
  events' channel and bridge snapshot blocks (``codegen.snapshots``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen import OUT_DIR, ROOT, SPECS_DIR
from codegen.render import check, render_all, write
from codegen.spec import SpecErrors, load_specs


def package_of(directory: Path) -> str:
    """The dotted package name of ``directory``: its name, and its parents' while they are packages."""
    directory = directory.resolve()
    parts = [directory.name]
    parent = directory.parent
    while (parent / "__init__.py").exists():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)


def generate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Render AMI action specs (YAML) into attrs classes, one module per action.",
    )
    parser.add_argument(
        "--specs", type=Path, default=SPECS_DIR, help="folder of *.yaml specs (default: the SDK's)"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="package folder to write (default: sdk/actions)"
    )
    parser.add_argument(
        "--package", help="dotted name of the --out package (default: derived from its path)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if the code differs"
    )
    args = parser.parse_args(argv)

    try:
        inside = args.specs.resolve().is_relative_to(ROOT)
        specs = load_specs(args.specs, cite_from=ROOT if inside else None)
    except SpecErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    package = args.package or package_of(args.out)
    files = render_all(specs, package=package)
    outcome = check(files, args.out)
    if args.check:
        if outcome.clean:
            print(f"{args.out}: up to date with {len(specs)} specs")
            return 0
        sys.stdout.write(outcome.diff)
        print(
            f"\n{args.out} differs from what {args.specs} produce"
            f" ({len(outcome.changed)} to write, {len(outcome.stale)} to delete): run `python -m codegen`",
            file=sys.stderr,
        )
        return 1
    write(outcome, args.out)
    print(
        f"{args.out}: {len(specs)} specs, {len(outcome.changed)} files written, {len(outcome.stale)} deleted"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import-docs"]:
        from codegen.importer import main as import_docs

        return import_docs(argv[1:])
    if argv[:1] == ["doc-table"]:
        from codegen.importer import table_main

        return table_main(argv[1:])
    if argv[:1] == ["snapshot-table"]:
        from codegen.snapshots import main as snapshot_table

        return snapshot_table(argv[1:])
    return generate(argv)


if __name__ == "__main__":
    sys.exit(main())
