"""CI integration: GitHub Actions workflow commands (masking, annotations, step summary).

GitHub hides any string announced with ``::add-mask::`` from the rest of the job's log, so the
minted token is announced the moment it arrives. These lines are the one place a secret is written
on purpose: the runner consumes them and never shows them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from tpublish.redact import redact


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape(message: str) -> str:
    """Escape a workflow-command message (GitHub's rules: %, CR and LF)."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask(secret: str, stream: TextIO | None = None) -> None:
    """Ask the GitHub runner to hide ``secret`` in the job log (no-op outside GitHub Actions)."""
    if not in_github_actions():
        return
    out = stream or sys.stdout
    out.write(f"::add-mask::{secret}\n")
    out.flush()


def annotate(
    level: str, message: str, *, file: str | None = None, stream: TextIO | None = None
) -> None:
    """``::error::`` / ``::warning::`` annotation (no-op outside GitHub Actions)."""
    if not in_github_actions():
        return
    where = f" file={escape(file)}" if file else ""
    out = stream or sys.stdout
    out.write(f"::{level}{where}::{escape(redact(message))}\n")
    out.flush()


def append_step_summary(markdown: str) -> None:
    """Add Markdown to the job summary page (``$GITHUB_STEP_SUMMARY``), when there is one."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target or not in_github_actions():
        return
    try:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(redact(markdown).rstrip("\n") + "\n\n")
    except OSError:
        pass  # a summary is a courtesy; never fail a release over it
