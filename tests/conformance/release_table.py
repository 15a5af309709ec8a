"""What the generated actions say of each release, as a table: the actions it has and the
fields that differ from the release before it (``python tests/conformance/release_table.py``;
``test_conformance.py`` holds the table to the documentation's facts)."""

from __future__ import annotations

from sdk.actions import ACTIONS
from sdk.model.releases import DOCUMENTED, field_majors


def field_facts(name: str, major: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """``{header: (required, values)}`` of the fields of action ``name`` in ``major``."""
    cls = ACTIONS[name]
    return {
        info.header: (info.required_by(major), tuple(sorted(info.choices_of(major))))
        for _, info in cls.fields()
        if major in field_majors(cls, info)
    }


def differences(before: str, major: str) -> list[str]:
    """``Action.Field (what)`` for each field that differs between the two releases."""
    out = []
    for name in sorted(ACTIONS, key=str.lower):
        majors = ACTIONS[name].AVAILABLE_IN
        if before not in majors or major not in majors:
            continue
        old, new = field_facts(name, before), field_facts(name, major)
        for header in [*new, *(h for h in old if h not in new)]:
            if header not in old:
                out.append(f"{name}.{header} (new)")
            elif header not in new:
                out.append(f"{name}.{header} (gone)")
            elif old[header][0] != new[header][0]:
                out.append(f"{name}.{header} ({'required' if new[header][0] else 'optional'})")
            elif old[header][1] != new[header][1]:
                added = sorted(set(new[header][1]) - set(old[header][1]))
                out.append(f"{name}.{header} (+{','.join(added)})")
    return out


def rows() -> list[tuple[str, int, list[str]]]:
    """``(release, actions with specs, fields that differ from the release before)``."""
    out = []
    for index, major in enumerate(DOCUMENTED):
        count = sum(major in cls.AVAILABLE_IN for cls in ACTIONS.values())
        out.append((major, count, differences(DOCUMENTED[index - 1], major) if index else []))
    return out


def markdown() -> str:
    lines = ["| release | actions with specs | fields that differ from the previous release |"]
    lines.append("|---|---|---|")
    for major, count, changed in rows():
        lines.append(f"| {major} | {count} | {', '.join(changed) or '-'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
