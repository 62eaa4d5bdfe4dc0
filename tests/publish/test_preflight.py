"""The release checked against the index before the first byte, and ``--dry-run``'s predictions.

A release is never half-published because file 7 of 12 is already there: the index is read once
per project (the simple API; PyPI's JSON API once per release) and a conflict anywhere, the last
file included, means nothing is sent. A dry run asks the same and exits as the real run does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from builders import make_sdist, make_wheel
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from tpublish.errors import EXIT_CREDENTIALS, EXIT_OK, EXIT_UPLOAD

PLAIN = (("Description-Content-Type", "text/markdown"),)
TAGS = ("py3-none-any", "py2.py3-none-any", "py30-none-any")


def release(directory: Path, *, keywords: str = "demo") -> list[Path]:
    """Three wheels and the sdist last; ``keywords`` changes every file's bytes."""
    meta = (*PLAIN, ("Keywords", keywords))
    wheels = [make_wheel(directory, "demo-pkg", "1.0.0", tag=t, extra_metadata=meta) for t in TAGS]
    return [*wheels, make_sdist(directory, "demo-pkg", "1.0.0", extra_metadata=meta)]


def upload(index: FakeIndex, token: str | None, *args: str) -> Run:
    credential = ("--token", token) if token else ("--non-interactive",)
    return tpublish(
        "upload",
        "--repository-url",
        index.upload_url,
        *credential,
        "--no-progress",
        "--retry-backoff",
        "0.01",
        *args,
    )


def document(run: Run) -> dict[str, Any]:
    parsed = json.loads(run.stdout)  # exactly one JSON document, or this raises
    assert isinstance(parsed, dict)
    return parsed


def by_name(run: Run) -> dict[str, dict[str, Any]]:
    return {f["filename"]: f for f in document(run)["files"]}


def copy_to(files: list[Path], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(path, directory / path.name)) for path in files]


# -- the real run -----------------------------------------------------------------------------------


def test_a_release_whose_last_file_conflicts_sends_nothing(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    theirs = release(tmp_path / "theirs", keywords="built,elsewhere")[-1]
    assert upload(index, token, str(theirs)).exit_code == EXIT_OK
    ours = release(tmp_path / "ours")
    assert ours[-1].name == theirs.name and ours[-1].read_bytes() != theirs.read_bytes()

    run = upload(index, token, "--json", *map(str, ours))

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert len(index.uploads) == 1  # the earlier sdist: not one byte of this release was sent
    assert sorted(index.files) == [theirs.name]
    assert index.files[theirs.name].data == theirs.read_bytes()
    files = by_name(run)
    sdist = files[theirs.name]
    assert sdist["outcome"] == "failed"
    assert (
        sdist["error"]["message"] == f"a different file named {theirs.name} is already on the index"
    )
    for wheel in ours[:-1]:
        assert files[wheel.name]["outcome"] == "not attempted"
        assert files[wheel.name]["note"] == "nothing sent: the release conflicts with the index"
    assert f"error: {ours[-1]}: a different file named {theirs.name}" in run.stderr


def test_every_conflicting_file_is_named(index: FakeIndex, token: str, tmp_path: Path) -> None:
    theirs = release(tmp_path / "theirs", keywords="built,elsewhere")
    assert upload(index, token, str(theirs[0]), str(theirs[-1])).exit_code == EXIT_OK
    ours = release(tmp_path / "ours")

    run = upload(index, token, *map(str, ours))

    assert run.exit_code == EXIT_UPLOAD
    for path in (ours[0], ours[-1]):
        assert f"a different file named {path.name} is already on the index" in run.stderr
    assert len(index.uploads) == 2


def test_the_same_last_file_needs_skip_existing_and_then_only_the_rest_is_sent(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    ours = release(tmp_path / "dist")
    assert upload(index, token, str(ours[-1])).exit_code == EXIT_OK

    refused = upload(index, token, "--json", *map(str, ours))
    sent_after_refusal = len(index.uploads)
    skipped = upload(index, token, "--json", "--skip-existing", *map(str, ours))

    assert refused.exit_code == EXIT_UPLOAD
    assert sent_after_refusal == 1
    assert "the same file is already on the index" in refused.stderr
    assert "hint: use --skip-existing to skip files that are already there" in refused.stderr
    assert skipped.exit_code == EXIT_OK, skipped.output
    outcomes = {name: f["outcome"] for name, f in by_name(skipped).items()}
    assert outcomes == {**{w.name: "uploaded" for w in ours[:-1]}, ours[-1].name: "skipped"}
    sent = [r.content_filename or "" for r in index.uploads][1:]
    assert sorted(sent) == sorted(w.name for w in ours[:-1])  # wheels go concurrently


def test_the_index_is_read_once_per_project(index: FakeIndex, token: str, tmp_path: Path) -> None:
    ours = release(tmp_path / "dist")

    run = upload(index, token, *map(str, ours))

    assert run.exit_code == EXIT_OK, run.output
    reads = [r for r in index.requests if r.method == "GET"]
    assert [(r.path, r.status) for r in reads] == [("/simple/demo-pkg/", 404)]
    assert len(index.files) == 4


def test_an_index_that_cannot_be_read_gets_the_release_as_before(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    index.faults.add("/simple/", "status", code=500)
    ours = release(tmp_path / "dist")

    run = upload(index, token, *map(str, ours))

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == sorted(p.name for p in ours)


def test_credentials_go_with_the_look_up_to_the_index_only(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    """The look-up may need them (a private index); they go to the index's own host, masked."""
    ours = release(tmp_path / "dist")

    run = upload(index, token, "--verbose", "--debug", *map(str, ours))

    assert run.exit_code == EXIT_OK, run.output
    (read,) = index.requests_to("/simple/demo-pkg/", "GET")
    assert read.headers["authorization"].startswith("Basic ")
    assert token not in run.output


# -- --dry-run ----------------------------------------------------------------------------------


def on_index(index: FakeIndex, token: str, tmp_path: Path, state: str) -> list[Path]:
    """A release; its sdist is on the index already as ``state`` says: new, same or different."""
    ours = release(tmp_path / "dist")
    if state == "same":
        assert upload(index, token, str(ours[-1])).exit_code == EXIT_OK
    elif state == "different":
        theirs = release(tmp_path / "theirs", keywords="built,elsewhere")[-1]
        assert upload(index, token, str(theirs)).exit_code == EXIT_OK
    return ours


@pytest.mark.parametrize(
    ("state", "skip", "outcome", "others", "exit_code"),
    [
        ("new", False, "would upload", "would upload", EXIT_OK),
        ("same", False, "would fail", "would not be sent", EXIT_UPLOAD),
        ("same", True, "would skip", "would upload", EXIT_OK),
        ("different", False, "would fail", "would not be sent", EXIT_UPLOAD),
        ("different", True, "would fail", "would not be sent", EXIT_UPLOAD),
    ],
)
def test_dry_run_predicts_each_file_and_exits_as_the_real_run_does(
    index: FakeIndex,
    token: str,
    tmp_path: Path,
    state: str,
    skip: bool,
    outcome: str,
    others: str,
    exit_code: int,
) -> None:
    ours = on_index(index, token, tmp_path, state)
    extra = ("--skip-existing",) if skip else ()
    before = len(index.uploads)

    dry = upload(index, token, "--dry-run", "--json", *extra, *map(str, ours))

    assert dry.exit_code == exit_code, dry.output
    assert len(index.uploads) == before
    plan = document(dry)
    assert plan["dry_run"] is True and plan["exit_code"] == exit_code and plan["error"] is None
    files = by_name(dry)
    assert files[ours[-1].name]["on_index"] == {"new": "absent"}.get(state, state)
    assert files[ours[-1].name]["outcome"] == outcome
    assert {files[w.name]["outcome"] for w in ours[:-1]} == {others}
    real = upload(index, token, *extra, *map(str, ours))
    assert real.exit_code == exit_code, real.output


def test_dry_run_text_says_what_would_happen_to_each_file(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    ours = on_index(index, token, tmp_path, "different")

    run = upload(index, token, "--dry-run", *map(str, ours))

    assert run.exit_code == EXIT_UPLOAD
    lines = run.stderr.splitlines()
    sdist_line = next(line for line in lines if ours[-1].name in line)
    assert sdist_line.split()[:3] == ["would", "fail", ours[-1].name]
    assert sdist_line.endswith("- a different file of that name is on the index")
    assert any(line.split()[:4] == ["would", "not", "be", "sent"] for line in lines)
    assert "A real run would send nothing" in run.stderr


def test_dry_run_without_any_credential_shows_the_predictions_then_exits_3(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    ours = on_index(index, token, tmp_path, "same")

    text = upload(index, None, "--dry-run", *map(str, ours))
    as_json = upload(index, None, "--dry-run", "--json", *map(str, ours))

    assert text.exit_code == EXIT_CREDENTIALS
    predicted = [line.split()[:3] for line in text.stderr.splitlines()]
    assert ["would", "fail", ours[-1].name] in predicted
    assert "error: no credentials found for" in text.stderr
    assert as_json.exit_code == EXIT_CREDENTIALS
    plan = document(as_json)  # one document: the predictions and the error together
    assert plan["exit_code"] == EXIT_CREDENTIALS
    assert plan["would_start"] is False
    assert plan["error"]["type"] == "CredentialError"
    assert plan["error"]["message"].startswith("no credentials found for")
    assert by_name(as_json)[ours[-1].name]["outcome"] == "would fail"
    assert "error: no credentials found for" in as_json.stderr
    assert len(index.uploads) == 1


def test_dry_run_of_a_copy_of_what_is_there_would_skip_it(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    ours = release(tmp_path / "dist")
    assert upload(index, token, *map(str, ours)).exit_code == EXIT_OK
    copies = copy_to(ours, tmp_path / "copy")

    run = upload(index, token, "--dry-run", "--json", "--skip-existing", *map(str, copies))

    assert run.exit_code == EXIT_OK
    assert {f["outcome"] for f in document(run)["files"]} == {"would skip"}
    assert {f["index_sha256"] for f in document(run)["files"]} == {
        f["sha256"] for f in document(run)["files"]
    }
