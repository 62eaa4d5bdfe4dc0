"""Side by side with ``twine check``: tpublish finds all that twine finds, plus the index's rules.

twine (a test dependency) runs in-process on the very same files; each of its findings must have
its counterpart among tpublish's, with the same line number for a description that does not
render. Files twine passes but the index refuses show what twine leaves out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel, metadata_text
from tpublish.rules.checker import check_files

twine_check = pytest.importorskip("twine.commands.check")

RST = "Description-Content-Type"
BROKEN_RST = "Demo\n====\n\nSee `the docs`_ for more.\n"
SHORT_UNDERLINE = "A long title\n=====\n\nText.\n"
# twine's message -> the code of the tpublish finding that says the same.
TWINE_TO_TPUBLISH = {
    "`long_description_content_type` missing": ("warning", "description-content-type-missing"),
    "`long_description` missing": ("warning", "description-missing"),
    "`long_description` has syntax errors in markup": ("error", "description-render"),
}
_TWINE_LINE = re.compile(r"line \d+: \w+: .*")

Build = Callable[[Path], Path]


def _meta(description: str | None, *extra: tuple[str, str], **kwargs: str) -> str:
    return metadata_text("demo-pkg", "1.0.0", description=description, extra=extra, **kwargs)


TWINE_FIXTURES: dict[str, Build] = {
    "good wheel": lambda d: make_wheel(d, extra_metadata=[(RST, "text/x-rst")]),
    "good sdist": lambda d: make_sdist(d, extra_metadata=[(RST, "text/markdown")]),
    "no content type": lambda d: make_wheel(d),
    "no description": lambda d: make_wheel(d, metadata=_meta(None)),
    "no description, typed": lambda d: make_wheel(d, metadata=_meta(None, (RST, "text/plain"))),
    "broken rst, default type": lambda d: make_wheel(d, metadata=_meta(BROKEN_RST)),
    "broken rst, explicit type": lambda d: make_sdist(
        d, metadata=_meta(BROKEN_RST, (RST, "text/x-rst"))
    ),
    "short underline": lambda d: make_wheel(d, metadata=_meta(SHORT_UNDERLINE)),
    "markdown": lambda d: make_wheel(d, metadata=_meta(BROKEN_RST, (RST, "text/markdown"))),
    "UNKNOWN description": lambda d: make_wheel(
        d, metadata=_meta("UNKNOWN\n", (RST, "text/x-rst"))
    ),
    "no name": lambda d: make_wheel(d, metadata="Metadata-Version: 2.1\nVersion: 1.0.0\n"),
    "not a zip": lambda d: _write(d / "demo_pkg-1.0.0-py3-none-any.whl", b"not a zip"),
}
# Files twine passes that the index refuses, with the code tpublish reports.
INDEX_ONLY: dict[str, tuple[Build, str]] = {
    "invalid classifier": (
        lambda d: make_wheel(d, extra_metadata=[(RST, "text/x-rst"), ("Classifier", "Nope")]),
        "invalid-classifier",
    ),
    "platform tag": (
        lambda d: make_wheel(
            d, tag="cp312-cp312-linux_x86_64", extra_metadata=[(RST, "text/x-rst")]
        ),
        "wheel-platform-tag",
    ),
    "local version": (
        lambda d: make_wheel(d, version="1.0.0+local", extra_metadata=[(RST, "text/x-rst")]),
        "local-version",
    ),
    "summary too long": (
        lambda d: make_wheel(d, metadata=_meta("x\n", (RST, "text/plain"), summary="s" * 600)),
        "summary-too-long",
    ),
    "license conflict": (
        lambda d: make_wheel(
            d,
            extra_metadata=[(RST, "text/x-rst"), ("License", "MIT"), ("License-Expression", "MIT")],
        ),
        "license-conflict",
    ),
    "pep 625": (
        lambda d: make_sdist(
            d, filename="Demo-Pkg-1.0.0.tar.gz", extra_metadata=[(RST, "text/x-rst")]
        ),
        "sdist-filename",
    ),
    "direct dependency": (
        lambda d: make_wheel(
            d, extra_metadata=[(RST, "text/x-rst"), ("Requires-Dist", "x @ https://e.org/x.whl")]
        ),
        "direct-dependency",
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_twine(path: Path, caplog: pytest.LogCaptureFixture) -> tuple[str, list[str]]:
    """("passed" | "failed" | "error", twine's logged messages) for ``twine check path``."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="twine"):
        try:
            failed = twine_check.check([str(path)])
        except Exception as exc:  # noqa: BLE001 (twine raises its own errors for bad files)
            return "error", [str(exc)]
    return ("failed" if failed else "passed"), [record.getMessage() for record in caplog.records]


def tpublish_findings(path: Path) -> list[tuple[str, str, str]]:
    (report,) = check_files([str(path)])
    return [(f.severity, f.code, f.message) for f in report.findings]


@pytest.mark.parametrize("fixture", sorted(TWINE_FIXTURES))
def test_tpublish_finds_everything_twine_finds(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    fixture: str,
) -> None:
    path = TWINE_FIXTURES[fixture](tmp_path)
    outcome, messages = run_twine(path, caplog)
    capsys.readouterr()  # twine's own progress lines
    ours = tpublish_findings(path)
    if outcome in ("failed", "error"):
        assert any(severity == "error" for severity, _, _ in ours), (outcome, messages, ours)
    if outcome == "error":
        return
    for message in messages:
        matches = [key for key in TWINE_TO_TPUBLISH if message.startswith(key)]
        assert matches, f"twine says something tpublish does not know about: {message!r}"
        severity, code = TWINE_TO_TPUBLISH[matches[0]]
        counterpart = [m for s, c, m in ours if (s, c) == (severity, code)]
        assert counterpart, (message, ours)
        detail = _TWINE_LINE.search(message)
        if detail is not None:  # the same line and complaint from the renderer
            assert detail.group(0) in counterpart[0]


def test_twine_and_tpublish_agree_on_a_failing_description(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = TWINE_FIXTURES["short underline"](tmp_path)
    outcome, messages = run_twine(path, caplog)
    assert outcome == "failed"
    assert any("line 2: Warning: Title underline too short." in m for m in messages)
    assert (
        "error",
        "description-render",
        "The description failed to render in the default format of reStructuredText. line 2:"
        " Warning: Title underline too short. See https://pypi.org/help/#description-content-type"
        " for more information.",
    ) in tpublish_findings(path)


@pytest.mark.parametrize("fixture", sorted(INDEX_ONLY))
def test_index_rules_twine_leaves_out(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    fixture: str,
) -> None:
    build, code = INDEX_ONLY[fixture]
    path = build(tmp_path)
    outcome, _messages = run_twine(path, caplog)
    capsys.readouterr()
    assert outcome == "passed"
    assert ("error", code) in {(s, c) for s, c, _ in tpublish_findings(path)}
