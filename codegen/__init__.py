"""Code generation: YAML action specs in, attrs classes out (``python -m codegen``).

Nothing in ``sdk`` imports this package; it writes ``sdk/actions`` (or a user's own package)
and ``sdk/events`` (from the event specs, ``codegen.events``), and checks that the committed
code still matches the specs.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "specs" / "actions"
OUT_DIR = ROOT / "sdk" / "actions"
EVENT_SPECS_DIR = ROOT / "specs" / "events"
EVENT_OUT_DIR = ROOT / "sdk" / "events"
