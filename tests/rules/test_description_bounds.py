"""A hostile long description cannot hang ``check`` or ``upload`` (issue 12, class 2).

The renderer's work is bounded (nesting depth, recursion, a time budget): a description beyond
the bounds is the finding "too complex to render", not a hang, a crash, nor "cannot read the
archive". ``--no-check`` is not needed for that.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import make_wheel, metadata_text
from cli_helpers import tpublish
from fakeindex import FakeIndex

MARKDOWN = [("Description-Content-Type", "text/markdown")]
HOSTILE = {
    "nested-quotes": ("> " * 100000, MARKDOWN),  # the example: minutes in nh3
    "nested-raw-html": ("<div>" * 100000, MARKDOWN),  # quadratic in the Markdown converter
    "nested-rst-blocks": ("\n\n".join(" " * i + "a" for i in range(1200)), []),  # RecursionError
}


def wheel_with(tmp_path: Path, description: str, extra: list[tuple[str, str]]) -> Path:
    meta = metadata_text("demo-pkg", "1.0.0", description=description, extra=extra)
    return make_wheel(tmp_path / "dist", metadata=meta)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_check_reports_a_description_too_complex_to_render(tmp_path: Path, name: str) -> None:
    description, extra = HOSTILE[name]
    wheel = wheel_with(tmp_path, description, extra)

    run = tpublish("check", "--json", str(wheel))

    assert run.exit_code == 2, run.output
    (report,) = json.loads(run.stdout)["files"]
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["description-render"]
    assert errors[0]["message"].startswith("The description is too complex to render")
    assert "cannot read the archive" not in run.output


@pytest.mark.parametrize("name", list(HOSTILE))
def test_upload_says_so_without_hanging(
    index: FakeIndex, token: str, tmp_path: Path, name: str
) -> None:
    """To an index other than PyPI an unrenderable description only warns (twine uploads it)."""
    description, extra = HOSTILE[name]
    wheel = wheel_with(tmp_path, description, extra)

    run = tpublish("upload", "--repository-url", index.upload_url, "--token", token, str(wheel))

    assert run.exit_code == 0, run.output
    assert f"warning: {wheel.name}: The description is too complex to render" in run.stderr
    assert index.files[wheel.name].data == wheel.read_bytes()


def test_a_large_ordinary_description_still_renders(tmp_path: Path) -> None:
    """Past the size where rendering moves to a child process, a real README is fine."""
    section = (
        "## Section\n\nSome *text* with `code` and a [link](https://example.com).\n\n- a\n- b\n\n"
    )
    wheel = wheel_with(tmp_path, "# Title\n\n" + section * 3000, MARKDOWN)

    run = tpublish("check", str(wheel))

    assert run.exit_code == 0, run.output
    assert run.stdout.splitlines()[0].endswith(": ok")


def test_a_large_description_that_fails_to_render_says_why(tmp_path: Path) -> None:
    broken = "Demo\n====\n\n" + "Text.\n\n" * 20000 + "See `the docs`_ for more.\n"
    wheel = wheel_with(tmp_path, broken, [])

    run = tpublish("check", str(wheel))

    assert run.exit_code == 2
    assert 'Unknown target name: "the docs"' in run.stdout
