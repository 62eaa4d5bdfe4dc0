"""CI logs: GitHub groups, annotations and job summary; GitLab sections; nothing of that elsewhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from builders import make_release
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from tpublish.errors import EXIT_INPUT, EXIT_OK, EXIT_UPLOAD
from tpublish.output import ci
from tpublish.units import human_size

WHEEL, SDIST = "demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"
MARKERS = ("::group::", "::endgroup::", "::error", "section_start:", "section_end:")


def upload(index: FakeIndex, dist: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        index.upload_url,
        "--token",
        index.add_api_token(),
        "--concurrency",
        "1",
        "--retry-backoff",
        "0.01",
        *args,
        str(dist / "*"),
        env=env,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_block(path: Path, outcome: str = "uploaded", attempts: int = 1) -> list[str]:
    size = path.stat().st_size
    return [
        f"{outcome:<9} {path.name} ({human_size(size)})",
        f"file:     {path}",
        f"size:     {size} bytes",
        f"sha256:   {sha256(path)}",
        f"attempts: {attempts}",
    ]


def test_github_groups_each_file_and_writes_a_job_summary(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_OK, run.output
    wheel, sdist = dist / WHEEL, dist / SDIST
    title_w, *body_w = file_block(wheel)
    title_s, *body_s = file_block(sdist)
    lines = run.stderr.splitlines()
    start = lines.index(f"::group::{title_w}")
    assert lines[start : start + 12] == [
        f"::group::{title_w}",
        *body_w,
        "::endgroup::",
        f"::group::{title_s}",
        *body_s,
        "::endgroup::",
    ]
    assert "::error" not in run.output
    assert summary.read_text() == (
        f"## tpublish: upload to {index.upload_url}\n"
        "\n"
        "| file | size | sha256 | outcome |\n"
        "|---|---:|---|---|\n"
        f"| `{WHEEL}` | {human_size(wheel.stat().st_size)} | `{sha256(wheel)}` | uploaded |\n"
        f"| `{SDIST}` | {human_size(sdist.stat().st_size)} | `{sha256(sdist)}` | uploaded |\n"
        "\n"
    )


def test_github_failed_file_gets_an_error_annotation_and_its_outcome_in_the_summary(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    index.faults.add("/legacy/", "status", code=400, reason="Invalid value for classifiers.")

    run = upload(index, dist, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})

    assert run.exit_code == EXIT_UPLOAD
    message = "the index refused the file (400): Invalid value for classifiers."
    assert f"::error file={dist / WHEEL}::{message}" in run.stdout.splitlines()
    assert f"::group::failed    {WHEEL} ({human_size((dist / WHEEL).stat().st_size)})" in (
        run.stderr
    )
    assert f"error: {message}" in run.stderr
    table = summary.read_text()
    assert f"| `{WHEEL}` |" in table
    assert f"| **failed**: {message} |" in table
    assert f"| `{SDIST}` | {human_size((dist / SDIST).stat().st_size)} |  | not attempted |" in (
        table
    )


def test_github_invalid_file_is_annotated_with_its_path(index: FakeIndex, tmp_path: Path) -> None:
    make_release(tmp_path / "dist")
    broken = tmp_path / "dist" / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")

    run = upload(index, tmp_path / "dist", env={"GITHUB_ACTIONS": "true"})

    assert run.exit_code == EXIT_INPUT
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert any(line.startswith(f"::error file={broken}::") for line in annotations), annotations
    assert not index.uploads


def test_summary_ends_with_the_release_link() -> None:
    from tpublish.publish.report import Report

    report = Report("https://upload.pypi.org/legacy/", [], release_urls=["https://pypi.org/p/x/"])

    text = ci.summary_markdown(report)

    assert text.endswith(
        "|---|---:|---|---|\n\nRelease: [https://pypi.org/p/x/](https://pypi.org/p/x/)"
    )


def test_gitlab_folds_each_file_into_a_collapsed_section(index: FakeIndex, dist: Path) -> None:
    run = upload(index, dist, env={"GITLAB_CI": "true"})

    assert run.exit_code == EXIT_OK, run.output
    text = run.stderr
    for path in (dist / WHEEL, dist / SDIST):
        title, *body = file_block(path)
        name = "tpublish_" + path.name
        pattern = (
            r"\x1b\[0Ksection_start:(\d+):" + re.escape(name) + r"\[collapsed=true\]\r\x1b\[0K"
            + re.escape(title) + "\n"
            + re.escape("".join(f"{line}\n" for line in body))
            + r"\x1b\[0Ksection_end:(\d+):" + re.escape(name) + r"\r\x1b\[0K\n"
        )  # fmt: skip
        match = re.search(pattern, text)
        assert match, text
        assert int(match[1]) <= int(match[2])
    assert "::group::" not in run.output


def test_no_ci_markers_outside_ci(index: FakeIndex, dist: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    # A summary file alone does not make a CI log; neither does GITLAB_CI empty.
    run = upload(index, dist, env={"GITHUB_STEP_SUMMARY": str(summary), "GITLAB_CI": ""})

    assert run.exit_code == EXIT_OK, run.output
    assert not any(marker in run.output for marker in MARKERS)
    assert "\x1b" not in run.output
    assert f"uploaded  {WHEEL}" in run.stderr
    assert not summary.exists()


def test_json_mode_in_github_keeps_stdout_a_json_document(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    import json

    summary = tmp_path / "summary.md"
    index.faults.add("/legacy/", "status", code=400, reason="Nope.")

    run = upload(
        index, dist, "--json", env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    )

    assert run.exit_code == EXIT_UPLOAD
    assert json.loads(run.stdout)["files"][0]["outcome"] == "failed"
    assert f"::error file={dist / WHEEL}::" in run.stderr
    assert "**failed**" in summary.read_text()


def test_section_names_and_property_escaping() -> None:
    assert ci.section_name("a b/c:d-1.0.tar.gz") == "tpublish_a_b_c_d-1.0.tar.gz"
    assert ci.escape_property("C:\\dist\\a,b.whl") == "C%3A\\dist\\a%2Cb.whl"
    block = ci.folded("github", "t%1", ["x"], key="k", started=1.0, ended=2.0)
    assert block == "::group::t%251\nx\n::endgroup::\n"
