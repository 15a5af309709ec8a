"""Optional dependencies: a feature that needs one says, in one line, what to install.

The package alone runs sessions, the CLI, bulk NOTIFY, the embedded server and codegen;
tables as DataFrames and the notebook forms need an extra. ``require`` is the one place
that imports such a module, so every feature fails the same way when it is missing::

    ModuleNotFoundError: Response.to_dataframe needs pandas: pip install 'asterisk-ami-sdk[pandas]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["DISTRIBUTION", "EXTRAS", "require"]

DISTRIBUTION = "asterisk-ami-sdk"

# module -> the extra of pyproject.toml that installs it (tests/test_extras.py checks both agree)
EXTRAS = {"pandas": "pandas", "ipywidgets": "notebook"}


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature`` (a name the user called, such as
    ``BulkReport.to_dataframe``).

    When the module is not installed, raise ``ModuleNotFoundError`` whose message names the
    ``pip install`` that brings it, without the chained "No module named" traceback. An
    installed module that fails to import (one of its own dependencies broken) raises its
    own error: installing the extra again would not mend it.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        message = f"{feature} needs {module}: pip install '{DISTRIBUTION}[{EXTRAS[module]}]'"
        raise ModuleNotFoundError(message, name=module) from None
