"""``python -m sdk``: the ``ami`` command line."""

from sdk.cli import main_exit

main_exit()
