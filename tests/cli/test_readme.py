"""README.md shows the real ``--help`` output, verbatim (at 100 columns).

Every ```` ```console ```` block that starts with ``$ tpublish ... --help`` is compared with what that
command prints. After changing an option, refresh the blocks with ``python tests/cli/test_readme.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```console\n\$ (tpublish(?: [a-z]+)? --help)\n(.*?)```\n", re.DOTALL)
REQUIRED = ("tpublish --help", "tpublish upload --help")


def help_text(command: str) -> str:
    """What ``command`` prints at 100 columns, as ``tpublish`` (not ``python -m``)."""
    args = command.split()[1:]
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tpublish.cli.main import main; main(prog_name='tpublish')",
            *args,
        ],
        env={**os.environ, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout


def blocks(text: str) -> dict[str, str]:
    return {match[1]: match[2] for match in BLOCK.finditer(text)}


def test_readme_has_the_help_blocks() -> None:
    found = blocks(README.read_text(encoding="utf-8"))

    assert set(REQUIRED) <= set(found), f"README.md lacks {set(REQUIRED) - set(found)}"


@pytest.mark.parametrize("command", sorted(blocks(README.read_text(encoding="utf-8"))))
def test_help_block_is_the_real_output(command: str) -> None:
    shown = blocks(README.read_text(encoding="utf-8"))[command]

    assert shown == help_text(command), (
        f"README.md's `{command}` block is out of date: run `python tests/cli/test_readme.py`"
    )


def update() -> None:
    """Rewrite every help block of README.md with the current output."""
    text = README.read_text(encoding="utf-8")
    text = BLOCK.sub(lambda m: f"```console\n$ {m[1]}\n{help_text(m[1])}```\n", text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update()
