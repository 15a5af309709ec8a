"""Command line.

- ``python -m codegen [--check] [--specs DIR] [--out DIR] [--package NAME]``: render specs
  into classes; every problem of every spec and option comes in one report (exit 2). Without
  ``--specs`` and ``--out``, the SDK's own: the action specs into ``sdk/actions`` and the
  event specs (``specs/events``, ``codegen.events``) into ``sdk/events``;
- ``python -m codegen import-docs core-en_US.xml... (--actions A,B | --all | --events
  NAMES|all)``: write action (or event) specs from Asterisk's documentation XML
  (``codegen.importer``, ``codegen.event_import``);
- ``python -m codegen doc-table core-en_US.xml --out FILE``: the names and required flags of
  one documentation file, as the conformance test keeps them (``--events``: its events);
- ``python -m codegen snapshot-table asterisk-V.tar.gz... --out FILE``: the headers of the
  events' channel and bridge snapshot blocks (``codegen.snapshots``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from codegen import EVENT_OUT_DIR, EVENT_SPECS_DIR, OUT_DIR, ROOT, SPECS_DIR
from codegen.events import load_event_specs, render_events
from codegen.render import Outcome, check, render_all, write
from codegen.spec import SpecError, SpecErrors, load_specs, package_problem


def package_of(directory: Path, import_path: list[Path]) -> tuple[str, str | None]:
    """The dotted name ``directory`` is imported by, and None; or a guess and the reason it
    cannot be told.

    The name runs through the regular packages above it (folders with an ``__init__.py``)
    up to a folder on the ``import_path`` (the working directory and ``sys.path``, as
    ``python`` started there sees them). Without a package above it, a folder under the
    working directory is a namespace package, named by its path from there.
    """
    directory = directory.resolve()
    roots = {path.resolve() for path in import_path}
    parts = [directory.name]
    parent = directory.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    if parent in roots:
        return ".".join(parts), None
    cwd = Path.cwd().resolve()
    if len(parts) == 1 and directory.is_relative_to(cwd) and directory != cwd:
        return ".".join(directory.relative_to(cwd).parts), None
    guess = ".".join(parts)
    return guess, (
        f"cannot tell the import name of {directory}: {parent} is neither a package (no"
        " __init__.py) nor on the import path (the working directory or sys.path); give it"
        f" with --package (such as --package {guess}), or run codegen from the folder your"
        " code imports it from"
    )


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

    errors: list[SpecError] = []
    specs = []
    try:
        inside = args.specs.resolve().is_relative_to(ROOT)
        specs = load_specs(args.specs, cite_from=ROOT if inside else None)
    except SpecErrors as exc:
        errors.extend(exc.errors)
    # the SDK's own: its event specs too
    own = args.specs == SPECS_DIR and args.out == OUT_DIR and args.package is None
    events: tuple[list[Any], list[Any]] = ([], [])
    if own:
        try:
            events = load_event_specs(EVENT_SPECS_DIR, cite_from=ROOT)
        except SpecErrors as exc:
            errors.extend(exc.errors)
    if args.package is not None:
        package, problem = args.package, package_problem(args.package)
        where = "--package"
    elif args.out.resolve() == OUT_DIR:
        package, problem, where = "sdk.actions", None, "--out"
    else:
        package, problem = package_of(args.out, [Path.cwd(), *map(Path, sys.path)])
        if problem is None and package_problem(package):
            problem = (
                f"{args.out} would be imported as {package!r}, which is not a dotted Python"
                " name: rename its folders, or give the name with --package"
            )
        where = "--out"
    if problem:
        errors.append(SpecError(where, 0, problem))
    if errors:  # every problem of every spec and option, in one report
        print(SpecErrors(errors), file=sys.stderr)
        return 2
    targets: list[tuple[Path, Path, int, Outcome]] = [
        (args.specs, args.out, len(specs), check(render_all(specs, package=package), args.out))
    ]
    if own:
        event_files = render_events(*events)
        targets.append(
            (EVENT_SPECS_DIR, EVENT_OUT_DIR, len(events[0]), check(event_files, EVENT_OUT_DIR))
        )
    if args.check:
        status = 0
        for source, out, count, outcome in targets:
            if outcome.clean:
                print(f"{out}: up to date with {count} specs")
                continue
            sys.stdout.write(outcome.diff)
            print(
                f"\n{out} differs from what {source} produce ({len(outcome.changed)} to"
                f" write, {len(outcome.stale)} to delete): run `python -m codegen`",
                file=sys.stderr,
            )
            status = 1
        return status
    for _source, out, count, outcome in targets:
        write(outcome, out)
        name = package if out == args.out else "sdk.events"
        print(
            f"{out}: package {name}, {count} specs, {len(outcome.changed)} files"
            f" written, {len(outcome.stale)} deleted"
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
