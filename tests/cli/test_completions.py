"""The shell completions in ``completions/`` are what the CLI generates today.

Regenerate them with (from the repository root, in the dev venv):

    _TPUBLISH_COMPLETE=bash_source tpublish > completions/tpublish.bash
    _TPUBLISH_COMPLETE=zsh_source tpublish > completions/_tpublish
    _TPUBLISH_COMPLETE=fish_source tpublish > completions/tpublish.fish
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = {"bash": "tpublish.bash", "zsh": "_tpublish", "fish": "tpublish.fish"}


def tpublish_command() -> list[str]:
    """The installed ``tpublish`` script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("tpublish")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tpublish.cli.main import main; main(prog_name='tpublish')"]


def complete(env: dict[str, str]) -> str:
    completed = subprocess.run(
        tpublish_command(),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout


@pytest.mark.parametrize("shell", sorted(FILES))
def test_committed_completion_is_what_the_cli_generates(shell: str) -> None:
    committed = (ROOT / "completions" / FILES[shell]).read_text()

    generated = complete({"_TPUBLISH_COMPLETE": f"{shell}_source"})

    assert generated == committed, (
        f"completions/{FILES[shell]} is out of date; regenerate it with: "
        f"_TPUBLISH_COMPLETE={shell}_source tpublish > completions/{FILES[shell]}"
    )


def test_completion_offers_commands_and_options() -> None:
    commands = complete(
        {"_TPUBLISH_COMPLETE": "bash_complete", "COMP_WORDS": "tpublish ", "COMP_CWORD": "1"}
    )
    options = complete(
        {
            "_TPUBLISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "tpublish upload --att",
            "COMP_CWORD": "2",
        }
    )
    files = complete(
        {
            "_TPUBLISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "tpublish upload d",
            "COMP_CWORD": "2",
        }
    )

    assert commands.splitlines() == ["plain,auth", "plain,check", "plain,upload"]
    assert options.splitlines() == ["plain,--attestations", "plain,--attest"]
    assert files.splitlines() == ["file,d"]  # the shell completes file names for DIST
