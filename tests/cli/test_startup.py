"""`greenroom` starts without importing the service: each command loads its module when it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from greenroom.cli.main import COMMANDS, load_command


def _imported_modules(*args: str) -> set[str]:
    """The modules `greenroom ARGS` imports, from the interpreter's own import log."""
    script = Path(sys.executable).with_name("greenroom")
    run = subprocess.run(
        [str(script), *args],
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_help_imports_nothing_of_the_service() -> None:
    modules = _imported_modules("--help")
    assert "greenroom.cli.main" in modules
    assert "greenroom.app" not in modules
    ours = {m for m in modules if m.split(".")[0] == "greenroom"}
    assert ours == {"greenroom", "greenroom.cli", "greenroom.cli.main"}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_listed_command_loads_with_its_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert command.help
