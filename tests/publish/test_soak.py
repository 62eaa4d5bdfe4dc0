"""Soak: a release of 200 wheels and an sdist, 16 at a time, through random 5xx and answers lost
after the index stored the file (issue 12). Over several seeds, the report and the exit code match
what the index holds exactly: "uploaded" for each file it holds with our bytes, and no other.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from builders import make_sdist, make_wheel
from fakeindex import FakeIndex
from fault_helpers import PLAIN_METADATA, assert_report_is_the_index, outcomes, publish

WHEELS = 200
# What may happen to one POST: most go through; the rest fail before or after storing the file.
TROUBLE: tuple[tuple[str, dict[str, Any], int], ...] = (
    ("none", {}, 60),
    ("status", {"code": 503}, 8),  # refused, nothing stored
    ("status", {"code": 502, "retry_after": "soon"}, 4),
    ("after_store", {"code": 502}, 10),  # stored, then a gateway's error
    ("after_store", {"code": 504}, 4),
    ("drop_after_store", {}, 10),  # stored, answer lost
    ("drop_before", {}, 4),  # nothing read, nothing stored
)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("soak") / "dist"
    wheels = [
        make_wheel(directory, tag=f"py3-none-manylinux_2_{n}_x86_64", extra_metadata=PLAIN_METADATA)
        for n in range(5, 5 + WHEELS)
    ]
    return [*wheels, make_sdist(directory, extra_metadata=PLAIN_METADATA)]


@pytest.mark.parametrize(("seed", "retries"), [(11, 6), (22, 6), (33, 6), (44, 1), (55, 1)])
def test_the_report_is_the_index_under_random_faults(
    index: FakeIndex, token: str, release: list[Path], seed: int, retries: int
) -> None:
    """With 6 retries the release usually completes; with 1, a file fails, the release stops and
    the files waiting for a retry are checked: the report must still be the index."""
    rng = random.Random(seed)
    kinds, weights = list(range(len(TROUBLE))), [weight for *_, weight in TROUBLE]
    for choice in rng.choices(kinds, weights, k=3 * len(release)):
        kind, params, _ = TROUBLE[choice]
        index.faults.add("/legacy/", kind, method="POST", **params)

    run, report = publish(
        index, token, release, "--concurrency", "16", "--retries", str(retries), timeout=10.0
    )

    assert_report_is_the_index(index, report, release)
    for path in release:  # each file once, byte for byte (the index keeps one per name)
        stored = index.files.get(path.name)
        assert stored is None or stored.data == path.read_bytes()
    done = all(outcome == "uploaded" for outcome in outcomes(report).values())
    assert run.exit_code == report["exit_code"]
    assert (run.exit_code == 0) is done, run.stderr[-2000:]
    assert {f.kind for f in index.faults.all if f.fired} >= {"after_store", "drop_after_store"}
