"""CI integration: GitHub Actions workflow commands (masking, annotations, groups, step summary)
and GitLab CI collapsible sections.

GitHub hides any string announced with ``::add-mask::`` from the rest of the job's log, so the
minted token is announced the moment it arrives. These lines are the one place a secret is written
on purpose: the runner consumes them and never shows them.

In a CI log each file's upload becomes one folded block (a GitHub ``::group::`` or a GitLab
section), written whole when the file is done, since files upload concurrently. Outside CI none of
this is written.

The markers are ours; every piece of text placed between them is masked and neutralised first
(``text.safe``), so outside text can neither end a group early, nor issue a command of its own,
nor carry a control sequence into the log.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from tpublish.output.streams import write
from tpublish.output.summary import release_links
from tpublish.output.text import result_line, safe
from tpublish.publish.report import Finished, Started
from tpublish.pypi import pypi_web_base
from tpublish.redact import redact
from tpublish.units import human_size
from tpublish.untrusted import neutralise

if TYPE_CHECKING:
    from tpublish.publish.report import Event, FileResult, Report

GITHUB, GITLAB = "github", "gitlab"


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def in_gitlab_ci() -> bool:
    return bool(os.environ.get("GITLAB_CI"))


def log_style() -> str | None:
    """``"github"`` or ``"gitlab"`` when the output is a CI job log that folds blocks, else None."""
    if in_github_actions():
        return GITHUB
    if in_gitlab_ci():
        return GITLAB
    return None


def escape(message: str) -> str:
    """Escape a workflow-command message (GitHub's rules: %, CR and LF)."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value (``file=``): also ``:`` and ``,``."""
    return escape(value).replace(":", "%3A").replace(",", "%2C")


def mask(secret: str, stream: TextIO | None = None) -> None:
    """Ask the GitHub runner to hide ``secret`` in the job log (no-op outside GitHub Actions).

    The runner masks per line, and reads the value escaped as a command's data: each line of a
    multi-line secret is announced on its own, escaped, so the runner masks exactly it.
    """
    if not in_github_actions():
        return
    lines = [line for line in secret.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line]
    write(stream or sys.stdout, "".join(f"::add-mask::{escape(line)}\n" for line in lines))


def annotate(
    level: str, message: str, *, file: str | None = None, stream: TextIO | None = None
) -> None:
    """``::error::`` / ``::warning::`` annotation (no-op outside GitHub Actions)."""
    if not in_github_actions():
        return
    where = f" file={escape_property(neutralise(file))}" if file else ""
    write(stream or sys.stdout, f"::{level}{where}::{escape(safe(message))}\n")


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


# -- folded blocks ------------------------------------------------------------------------------


def section_name(key: str) -> str:
    """A GitLab section name (letters, digits, ``_``, ``.``, ``-``) made from ``key``."""
    return "tpublish_" + re.sub(r"[^A-Za-z0-9_.-]", "_", key)


def folded(
    style: str, title: str, lines: Sequence[str], *, key: str, started: float, ended: float
) -> str:
    """One collapsible block of log lines: a GitHub group, or a collapsed GitLab section."""
    title = safe(title, multiline=False)
    body = "".join(f"{safe(line, multiline=False)}\n" for line in lines)
    if style == GITHUB:
        return f"::group::{escape(title)}\n{body}::endgroup::\n"
    name = section_name(key)
    return (
        f"\x1b[0Ksection_start:{int(started)}:{name}[collapsed=true]\r\x1b[0K{title}\n{body}"
        f"\x1b[0Ksection_end:{int(ended)}:{name}\r\x1b[0K\n"
    )


class FoldedUploadLog:
    """Upload events as one folded block per file (a retry is the console's warning, unfolded)."""

    def __init__(self, style: str, write: Callable[[str], None]) -> None:
        self.style, self.write = style, write
        self._started: dict[Path, float] = {}

    def handle(self, event: Event) -> None:
        if isinstance(event, Started):
            self._started[event.dist.path] = time.time()
        elif isinstance(event, Finished):
            self.write(self.block(event.result))

    def block(self, result: FileResult) -> str:
        ended = time.time()
        started = self._started.get(result.dist.path, ended)
        return folded(
            self.style,
            result_line(result),
            file_lines(result),
            key=result.dist.filename,
            started=started,
            ended=ended,
        )


def file_lines(result: FileResult) -> list[str]:
    """What a folded block says about one file."""
    lines = [
        f"file:     {result.dist.path}",
        f"size:     {result.dist.size} bytes",
        f"sha256:   {result.digests.sha256 if result.digests else '(not computed)'}",
        f"attempts: {result.attempts}",
    ]
    if result.error is not None:
        lines.append(f"error: {result.error}")
        lines.extend(f"  {line}" for line in result.error.details)
        if result.error.hint:
            lines.append(f"hint: {result.error.hint}")
    return lines


# -- after the release --------------------------------------------------------------------------


def report_upload(report: Report, *, stream: TextIO | None = None) -> None:
    """In GitHub Actions: an ``::error file=...::`` annotation per failed file and a job summary."""
    if not in_github_actions():
        return
    for result in report.results:
        if result.error is not None:
            error = result.error
            message = "\n".join([str(error), *error.details, *([error.hint] if error.hint else [])])
            annotate("error", message, file=str(result.dist.path), stream=stream)
    append_step_summary(summary_markdown(report))


TRUSTED_PUBLISHERS_DOCS = "https://docs.pypi.org/trusted-publishers/"


def trusted_publishing_nudge(upload_url: str, projects: Sequence[str]) -> str | None:
    """After an upload to PyPI/TestPyPI with a long-lived API token from GitHub Actions or GitLab
    CI: one line suggesting trusted publishing, with the link that fills in the publisher form
    (gh-action-pypi-publish's "magic link", protocol §2.3). None elsewhere."""
    base = pypi_web_base(upload_url) or "https://pypi.org"
    if in_github_actions():
        owner = os.environ.get("GITHUB_REPOSITORY_OWNER", "")
        repository = os.environ.get("GITHUB_REPOSITORY", "").partition("/")[2]
        # owner/repo/.github/workflows/<file>@<ref>: drop four components, cut at "@".
        workflow = "/".join(os.environ.get("GITHUB_WORKFLOW_REF", "").split("/")[4:])
        query = (
            f"?provider=github&owner={quote(owner)}&repository={quote(repository)}"
            f"&workflow_filename={quote(workflow.partition('@')[0])}"
        )
        where = "GitHub Actions"
    elif in_gitlab_ci():
        query, where = "", "GitLab CI/CD"
    else:
        return None
    links = " ".join(
        f"{base}/manage/project/{quote(name)}/settings/publishing/{query}" for name in projects
    )
    return (
        f"uploaded from {where} with a long-lived API token; trusted publishing needs no stored "
        f"secret ({TRUSTED_PUBLISHERS_DOCS}): add this job as the project's trusted publisher "
        f"at {links}"
    )


def _cell(text: str) -> str:
    return safe(text, multiline=False).replace("|", "\\|")


def summary_markdown(report: Report) -> str:
    """The job summary: every file with its size, sha256 and outcome; the release link only when
    every file is on the index."""
    lines = [
        f"## tpublish: upload to {report.upload_url}",
        "",
        "| file | size | sha256 | outcome |",
        "|---|---:|---|---|",
    ]
    for result in report.results:
        sha = f"`{result.digests.sha256}`" if result.digests else ""
        outcome = result.outcome
        if result.error is not None:
            outcome = f"**{outcome}**: {result.error.message}"
        elif result.note:
            outcome = f"{outcome} ({result.note})"
        size = human_size(result.dist.size)
        lines.append(f"| `{_cell(result.dist.filename)}` | {size} | {sha} | {_cell(outcome)} |")
    if report.interrupted:
        lines += [
            "",
            "Interrupted: files not attempted can be sent by a re-run with `--skip-existing`.",
        ]
    lines += [f"\nRelease: [{url}]({url})" for url in release_links(report)]
    return "\n".join(lines)
