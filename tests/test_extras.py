"""A feature whose extra is not installed says in one line which ``pip install`` to run.

Each case runs in a child Python where the module is blocked (``sys.modules[name] = None``
makes ``import name`` fail as if it were not installed).
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sdk.extras import DISTRIBUTION, EXTRAS

ROOT = Path(__file__).resolve().parent.parent


def run_without(blocked: list[str], code: str) -> subprocess.CompletedProcess[str]:
    prelude = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in blocked)
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


FEATURES = {
    "Response.to_dataframe": (
        "pandas",
        """
        from sdk.wire.message import Headers, Response
        Response(Headers([("Response", "Success")])).to_dataframe()
        """,
    ),
    "BulkReport.to_dataframe": (
        "pandas",
        """
        from sdk.bulk import BulkReport
        BulkReport([]).to_dataframe()
        """,
    ),
    "sdk.widgets": ("ipywidgets", "from sdk.widgets import ActionForm"),
}


@pytest.mark.parametrize("feature", FEATURES)
def test_a_missing_extra_names_the_pip_install(feature: str) -> None:
    module, code = FEATURES[feature]
    result = run_without([module], code)
    assert result.returncode == 1
    extra = EXTRAS[module]
    line = f"ModuleNotFoundError: {feature} needs {module}: pip install '{DISTRIBUTION}[{extra}]'"
    assert result.stderr.splitlines()[-1] == line
    # one error, not the import machinery's own chained before it
    assert "During handling" not in result.stderr and "direct cause" not in result.stderr
    assert result.stderr.count("pip install") == 1


def test_a_broken_dependency_of_an_installed_extra_keeps_its_own_error() -> None:
    result = run_without(
        ["numpy"],
        """
        from sdk.bulk import BulkReport
        BulkReport([]).to_dataframe()
        """,
    )
    assert result.returncode == 1
    assert "numpy" in result.stderr.splitlines()[-1]
    assert "pip install 'asterisk-ami-sdk" not in result.stderr


def test_each_extra_named_is_one_that_installs_the_module() -> None:
    meta = importlib.metadata.metadata(DISTRIBUTION)
    assert DISTRIBUTION == meta["Name"]
    provided = set(meta.get_all("Provides-Extra") or [])
    requires = meta.get_all("Requires-Dist") or []
    for module, extra in EXTRAS.items():
        assert extra in provided
        pattern = rf"^{re.escape(module)}\b.*;\s*extra\s*==\s*[\"']{re.escape(extra)}[\"']"
        assert any(re.match(pattern, r) for r in requires), (module, extra, requires)


def test_the_base_install_runs_without_an_extra_or_jinja2() -> None:
    """What a script or the demo uses needs no extra; jinja2 is for codegen alone."""
    result = run_without(
        ["pandas", "ipywidgets", "jinja2"],
        """
        from sdk import Session
        from sdk.bulk import bulk_notify
        from sdk.notify import send_notify
        from sdk.testing import AMIServer
        import sdk.cli

        with AMIServer.as_recorded("22") as pbx:
            with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
                print(send_notify(ami, "phone1", event="check-sync").message)
            report = bulk_notify(
                [("lab", "phone1")], pbxs={"lab": {"url": pbx.url()}},
                secrets={"lab": "s3cret"}, progress=False,
            )
            print(report)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["NOTIFY sent", "1 results: 1 ok"]
