"""``--attestations``: PEP 740 side files found, checked before any upload, sent, and explained."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from builders import make_wheel
from cli_helpers import Run, tpublish, upload_release
from fakeindex import FakeIndex, make_attestation
from tp_helpers import github_env
from tpublish.dists import attestations
from tpublish.errors import (
    EXIT_CREDENTIALS,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_UPLOAD,
    CredentialError,
    UploadError,
)

WHEEL, SDIST = "demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"
SLSA = "https://slsa.dev/provenance/v1"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attest(dist_file: Path, kind: str = "publish", **kwargs: Any) -> Path:
    """Write a structurally valid attestation for ``dist_file`` beside it."""
    target = dist_file.with_name(f"{dist_file.name}.{kind}.attestation")
    target.write_text(json.dumps(make_attestation(dist_file.name, sha256(dist_file), **kwargs)))
    return target


def attest_all(dist: Path) -> None:
    attest(dist / WHEEL)
    attest(dist / SDIST)


def upload(index: FakeIndex, dist: Path, *args: str, env: dict[str, str]) -> Run:
    return upload_release(index, dist, "--attestations", *args, env=env)


def trusted(index: FakeIndex) -> dict[str, str]:
    index.add_publisher("github", ["demo-pkg"])
    return github_env(index)


def with_token(index: FakeIndex) -> dict[str, str]:
    return {"TPUBLISH_TOKEN": index.add_api_token()}


# -- accepted -----------------------------------------------------------------------------------


def test_attestations_are_uploaded_with_a_trusted_publishing_token(
    index: FakeIndex, dist: Path
) -> None:
    attest_all(dist)
    attest(dist / WHEEL, "slsa", predicate_type=SLSA)

    run = upload(index, dist, "-v", env=trusted(index))

    assert run.exit_code == EXIT_OK, run.output
    wheel = index.files[WHEEL].attestations
    assert wheel is not None
    assert [item["envelope"] for item in wheel] == [
        json.loads((dist / f"{WHEEL}.{kind}.attestation").read_text())["envelope"]
        for kind in ("publish", "slsa")
    ]
    assert index.files[SDIST].attestations is not None
    assert f"attestations for {WHEEL}: {WHEEL}.publish.attestation, {WHEEL}.slsa.attestation" in (
        run.stderr
    )


def test_without_the_flag_attestations_stay_home(index: FakeIndex, dist: Path) -> None:
    attest_all(dist)

    run = tpublish(
        "upload", "--repository-url", index.upload_url, str(dist / "*"), env=trusted(index)
    )

    assert run.exit_code == EXIT_OK, run.output
    assert all(stored.attestations is None for stored in index.files.values())


def test_envvar_turns_attestations_on(index: FakeIndex, dist: Path) -> None:
    run = tpublish(
        "upload",
        "--repository-url",
        index.upload_url,
        str(dist / "*"),
        env={**with_token(index), "TPUBLISH_ATTESTATIONS": "1"},
    )

    assert run.exit_code == EXIT_INPUT
    assert "has no associated attestations" in run.stderr


# -- refused before anything is sent ------------------------------------------------------------


def test_missing_attestation_is_named_in_twines_words(index: FakeIndex, dist: Path) -> None:
    attest(dist / WHEEL)

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_INPUT
    assert (
        f"error: {dist / SDIST}: Upload with attestations requested, but {SDIST} has no associated "
        "attestations" in run.stderr
    )
    assert f"{SDIST}.publish.attestation" in run.stderr  # the hint says what was expected
    assert not index.uploads


def test_malformed_json_is_refused_before_any_upload(index: FakeIndex, dist: Path) -> None:
    attest_all(dist)
    (dist / f"{WHEEL}.publish.attestation").write_text('{"version": 1,')

    run = upload(index, dist, env=trusted(index))

    assert run.exit_code == EXIT_INPUT
    assert f"{WHEEL}.publish.attestation: is not valid JSON: " in run.stderr
    assert "nothing was uploaded" in run.stderr
    assert not index.uploads
    assert not index.requests_to("/_/oidc/mint-token")  # checked before the token exchange


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda a: [a], "is not a PEP 740 attestation: a JSON array, not an object"),
        (lambda a: {**a, "version": 2}, "has version 2; only version 1 exists"),
        (
            lambda a: {k: v for k, v in a.items() if k != "envelope"},
            "is not a PEP 740 attestation: envelope is missing, not an object",
        ),
        (
            lambda a: {**a, "envelope": {**a["envelope"], "signature": "%%%"}},
            "envelope.signature is not valid base64",
        ),
        (
            lambda a: {
                **a,
                "verification_material": {**a["verification_material"], "transparency_entries": []},
            },
            "verification_material.transparency_entries must be a non-empty list of objects",
        ),
        (
            lambda a: {
                **a,
                "envelope": {**a["envelope"], "statement": base64.b64encode(b"[]").decode()},
            },
            "envelope.statement is not an in-toto statement",
        ),
    ],
)
def test_wrong_shape_is_named(index: FakeIndex, dist: Path, mutate: Any, expected: str) -> None:
    attest_all(dist)
    target = dist / f"{WHEEL}.publish.attestation"
    target.write_text(json.dumps(mutate(json.loads(target.read_text()))))

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_INPUT
    assert f"{target.name}: {expected}" in run.stderr
    assert not index.uploads


def test_unknown_predicate_and_two_subjects(index: FakeIndex, dist: Path) -> None:
    attest(dist / WHEEL, predicate_type="https://example.com/custom/v1")
    two = [{"name": SDIST, "digest": {"sha256": sha256(dist / SDIST)}}] * 2
    attest(dist / SDIST, subjects=two)

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_INPUT
    assert "has predicate type 'https://example.com/custom/v1'; the index accepts" in run.stderr
    assert "its statement has 2 subjects; an attestation covers exactly one" in run.stderr
    assert "the attestations of 2 of 2 file(s) cannot be sent; nothing was uploaded" in run.stderr


def test_more_than_two_and_duplicate_predicates(index: FakeIndex, dist: Path) -> None:
    attest_all(dist)
    attest(dist / WHEEL, "again")
    attest(dist / WHEEL, "slsa", predicate_type=SLSA)

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_INPUT
    assert (
        f"{WHEEL}: 3 attestations found ({WHEEL}.again.attestation, {WHEEL}.publish.attestation, "
        f"{WHEEL}.slsa.attestation); the index accepts at most 2 per file" in run.stderr
    )
    assert f"{WHEEL}.publish.attestation: has the same predicate type as {WHEEL}.again" in (
        run.stderr
    )
    assert not index.uploads


def test_stale_attestation_from_another_build_is_named(index: FakeIndex, dist: Path) -> None:
    attest_all(dist)
    old = sha256(dist / WHEEL)
    make_wheel(dist, "demo-pkg", "1.0.0", extra_files=[("demo_pkg/new.py", b"x = 1\n")])

    run = upload(index, dist, env=trusted(index))

    assert run.exit_code == EXIT_INPUT
    assert (
        f"error: {dist / WHEEL}.publish.attestation: stale attestation from another build or index: "
        f"its sha256 does not match {WHEEL}" in run.stderr
    )
    assert f"attested sha256: {old}" in run.stderr
    assert f"file sha256:     {sha256(dist / WHEEL)}" in run.stderr
    assert "regenerate them after the final build" in run.stderr
    assert not index.uploads


def test_attestation_for_another_file(index: FakeIndex, dist: Path) -> None:
    attest_all(dist)
    target = dist / f"{WHEEL}.publish.attestation"
    other = make_attestation("other-2.0.tar.gz", sha256(dist / WHEEL))
    target.write_text(json.dumps(other))

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_INPUT
    assert f"{target.name}: is for 'other-2.0.tar.gz', not for {WHEEL}" in run.stderr


# -- the credential -----------------------------------------------------------------------------


def test_user_token_on_pypi_is_refused_before_upload(dist: Path) -> None:
    attest_all(dist)

    run = tpublish(
        "upload",
        "--dry-run",
        "--attestations",
        "--repository-url",
        "https://upload.pypi.org/legacy/",
        "--token",
        "pypi-user-token-example",
        str(dist / "*"),
    )

    assert run.exit_code == EXIT_CREDENTIALS
    assert (
        "upload.pypi.org accepts attestations only from trusted publishing, and this run uses an "
        "API token or password" in run.stderr
    )
    assert "or upload without --attestations" in run.stderr


@pytest.mark.parametrize(
    ("url", "trusted", "refused"),
    [
        ("https://upload.pypi.org/legacy/", False, True),
        ("https://test.pypi.org/legacy/", False, True),
        ("https://upload.pypi.org/legacy/", True, False),
        ("https://pypi.example.com/legacy/", False, False),
        ("https://notpypi.org/legacy/", False, False),
    ],
)
def test_credential_decision(url: str, trusted: bool, refused: bool) -> None:
    if refused:
        with pytest.raises(
            CredentialError, match="accepts attestations only from trusted publishing"
        ):
            attestations.check_credential(url, trusted=trusted)
    else:
        attestations.check_credential(url, trusted=trusted)


def test_index_refusal_with_a_user_token_is_explained(index: FakeIndex, dist: Path) -> None:
    """Not pypi.org: tpublish sends them and the index decides; its 400 is explained."""
    attest_all(dist)

    run = upload(index, dist, env=with_token(index))

    assert run.exit_code == EXIT_UPLOAD
    assert (
        f"error: {dist / WHEEL}: the index refused its attestations: Attestations are only supported "
        "when using Trusted Publishing" in run.stderr
    )
    assert "hint: this index accepts attestations only from a trusted-publishing upload" in (
        run.stderr
    )
    assert WHEEL not in index.files


def test_index_refusal_of_a_signature_is_explained() -> None:
    from tpublish.dists.distribution import Distribution

    dist = Distribution(
        Path("dist") / WHEEL, WHEEL, "bdist_wheel", "py3", "demo-pkg", "1.0.0", "2.4", 1, (), ()
    )
    said = UploadError(
        "the index refused the file (400): Invalid attestations supplied during upload: Could not "
        "verify the uploaded artifact using the included attestation: Verification failed: x"
    )

    explained = attestations.explain_refusal(said, dist)

    assert str(explained).startswith(f"{dist.path}: the index refused its attestations: Could not")
    assert explained.hint is not None and "same CI workflow" in explained.hint
    other = UploadError("the index refused the file (400): Invalid classifier")
    assert attestations.explain_refusal(other, dist) is other


def test_pairing_rule(tmp_path: Path) -> None:
    names = [
        WHEEL,
        f"{WHEEL}.publish.attestation",
        f"{WHEEL}.slsa.attestation",
        f"{WHEEL}.attestation",  # no kind
        f"{WHEEL}.sigstore.json",
        "demo_pkg-1.0.0-py3-none-any.whl2.publish.attestation",
        f"{SDIST}.publish.attestation",
    ]
    for name in names:
        (tmp_path / name).write_text("{}")

    found = attestations.find(tmp_path / WHEEL)

    assert [path.name for path in found] == [
        f"{WHEEL}.publish.attestation",
        f"{WHEEL}.slsa.attestation",
    ]
