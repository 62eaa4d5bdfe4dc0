"""The pieces that fit output to a width (output.layout), and the log's heartbeat, on their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import make_wheel
from terminal import render
from tpublish.dists.distribution import read_distribution
from tpublish.output.layout import (
    cells,
    fit_progress,
    fit_table,
    shared_affixes,
    shorten_name,
    wrap_name,
)
from tpublish.output.logprogress import LogProgress
from tpublish.output.text import files_named
from tpublish.publish.report import FileResult, Finished, Sending, Started
from tpublish.units import human_part, human_size, human_speed

NAMES = [
    f"numpy_quaternion-2024.0.3-{py}-{py}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    for py in ("cp311", "cp312", "cp313")
]


def test_one_unit_convention_binary_with_iec_names() -> None:
    assert human_size(948) == "948 B"
    assert human_size(209_715_200) == "200.0 MiB"  # what check says about the 100 MiB limit
    assert human_size(100 * 1024 * 1024) == "100.0 MiB"
    assert human_speed(1536) == "1.5 KiB/s"
    assert human_part(5 * 1024**2, 471 * 1024**2) == "5.0/471.0 MiB"


@given(st.integers(1, 300), st.integers(1, 120), st.integers(5, 20))
def test_a_progress_line_never_outgrows_its_width(width: int, name: int, part: int) -> None:
    layout = fit_progress(width, name, part)
    used = layout.name + (layout.bar + 1 if layout.bar else 0)
    used += sum(w + 1 for _, w in layout.figures)
    assert used <= max(width, 1)


def test_progress_drops_whole_columns_in_order() -> None:
    assert [k for k, _ in fit_progress(160, 84, 15).figures] == ["part", "speed", "eta"]
    assert [k for k, _ in fit_progress(80, 84, 15).figures] == ["part", "speed", "eta"]
    assert [k for k, _ in fit_progress(60, 84, 15).figures] == ["part", "speed"]
    assert [k for k, _ in fit_progress(40, 84, 15).figures] == []


@given(st.integers(1, 100))
def test_a_shortened_name_fits_and_keeps_what_tells_it_apart(width: int) -> None:
    shared = shared_affixes(NAMES)
    short = shorten_name(NAMES[0], width, shared)
    assert cells(short) <= width
    if width >= 30:
        assert "cp311-cp311" in short


@given(st.text(alphabet="abc-._東", min_size=1, max_size=120), st.integers(1, 60))
def test_a_wrapped_name_is_whole_and_within_width(name: str, width: int) -> None:
    lines = wrap_name(name, width)
    assert "".join(lines) == name
    assert all(cells(line) <= max(width, 2) for line in lines)


def test_names_wrap_between_their_fields() -> None:
    assert wrap_name(NAMES[0], 40) == [
        "numpy_quaternion-2024.0.3-cp311-cp311-",
        "manylinux_2_17_x86_64.",
        "manylinux2014_x86_64.whl",
    ]


def test_the_table_keeps_name_and_outcome_whole_and_shortens_the_digest_first() -> None:
    wide = fit_table(200, file=84, outcome=(8, 8), size=9, overhead=1, column_overhead=3)
    assert (wide.file, wide.sha256) == (84, 64)
    narrow = fit_table(80, file=84, outcome=(8, 8), size=9, overhead=1, column_overhead=3)
    assert (narrow.outcome, narrow.size, narrow.sha256) == (8, 9, 12)
    tiny = fit_table(40, file=84, outcome=(13, 13), size=9, overhead=1, column_overhead=3)
    assert tiny.outcome == 13 and tiny.sha256 == 0


def test_warnings_name_the_files_they_concern_in_a_few_words() -> None:
    assert files_named(NAMES) == (
        "numpy_quaternion-2024.0.3-*-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (3 files)"
    )
    assert files_named(["demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"]) == (
        "demo_pkg-1.0.0* (2 files)"
    )
    assert files_named(["a.whl", "b.whl"]) == "a.whl, b.whl"


def test_the_emulator_sees_a_line_wider_than_the_terminal() -> None:
    assert render(b"x" * 81 + b"\r\n", 80, 5).overflows
    assert not render(b"x" * 80 + b"\r\n", 80, 5).overflows


@pytest.fixture
def dist(tmp_path: Path) -> object:
    return read_distribution(make_wheel(tmp_path, extra_files=[("d.bin", b"x" * 4096)]))


def test_a_log_hears_from_a_file_in_flight_at_least_every_heartbeat(dist: object) -> None:
    lines: list[str] = []
    now = [0.0]
    log = LogProgress(lines.append, lambda _event: None, clock=lambda: now[0], heartbeat=15)
    size = dist.size  # type: ignore[attr-defined]
    log.handle(Started(dist))  # type: ignore[arg-type]
    now[0] = 10
    log.handle(Sending(dist, size // 2))  # type: ignore[arg-type]
    log.tick()
    assert len(lines) == 1 and lines[0].startswith("uploading ")
    now[0] = 16
    log.tick()
    percent = 100 * (size // 2) // size
    assert lines[1].endswith(f": {human_part(size // 2, size)} sent ({percent}%) in 16 s")
    log.handle(Sending(dist, size - size // 2))  # type: ignore[arg-type]
    now[0] = 40
    log.tick()
    assert "all" in lines[2] and "waiting for the index (24 s so far)" in lines[2]
    log.handle(Finished(FileResult(dist, "uploaded")))  # type: ignore[arg-type]
    now[0] = 100
    log.tick()
    assert len(lines) == 3  # a finished file is not heard from again
