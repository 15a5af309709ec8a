"""Code generation: YAML action specs in, attrs classes out (``python -m codegen``).

Nothing in ``sdk`` imports this package; it writes ``sdk/actions`` (or a user's own package)
and checks that the committed code still matches the specs.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "specs" / "actions"
OUT_DIR = ROOT / "sdk" / "actions"
