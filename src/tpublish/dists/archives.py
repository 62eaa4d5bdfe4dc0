"""What reading a wheel (``wheelfile``) and reading an sdist (``sdistfile``) share.

Nothing is extracted to disk. Hostile archives are refused in bounded time and memory: at most
``MAX_MEMBERS`` members; a wheel's METADATA is read only up to ``decompression_limit`` (beyond
it PyPI's compression-ratio rule refuses the wheel anyway), an sdist is decompressed no further
than ``sdist_read_limit`` (at least 1 GiB: PyPI sets no such bound on sdists, so this one sits
far above any real one); member names that point outside the archive, links that leave it,
device files and duplicate metadata are errors. There is no other cap on metadata size: PyPI
has none, and a 5 MiB long description uploads there.
Every problem found here is a ``DistributionError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tpublish.errors import DistributionError

MAX_MEMBERS = 100_000
# PyPI's decompression-bomb rule (protocol §7.2 step 22): more than 64 MiB uncompressed and more
# than 50 times the file's size.
COMPRESSION_RATIO_MIN_SIZE = 64 << 20
COMPRESSION_RATIO_THRESHOLD = 50
REBUILD_HINT = "rebuild the distribution with a current build backend (`python -m build`)"


@dataclass(frozen=True)
class Archive:
    """What a distribution holds that matters here: its raw metadata and its member names."""

    metadata: bytes
    label: str  # "METADATA" or "PKG-INFO", for messages
    names: frozenset[str]
    license_dir: str  # where License-File paths live inside the archive, with a trailing "/"


def check_license_files(path: Path, archive: Archive, license_files: Sequence[str]) -> None:
    """Every License-File must be in the archive (PyPI refuses the upload otherwise)."""
    for license_file in license_files:
        member = archive.license_dir + license_file
        if member not in archive.names:
            raise DistributionError(
                f"{archive.label} names License-File '{license_file}', but {member} is not in"
                " the archive",
                REBUILD_HINT,
                path=path,
            )


def decompression_limit(size: int) -> int:
    """The most uncompressed bytes a file of ``size`` bytes may hold before it counts as a bomb."""
    return max(COMPRESSION_RATIO_MIN_SIZE, size * COMPRESSION_RATIO_THRESHOLD)


def check_member_name(path: Path, name: str) -> None:
    """A member name must stay inside the archive: not absolute, no '..' component."""
    parts = name.replace("\\", "/").split("/")
    drive = len(name) > 1 and name[0].isalpha() and name[1] == ":"
    if name.startswith(("/", "\\")) or ".." in parts or drive:
        raise DistributionError(
            f"member '{name}' points outside the archive (an absolute path or '..');"
            " installers refuse it",
            REBUILD_HINT,
            path=path,
        )


def check_member_count(path: Path, count: int) -> None:
    """At most ``MAX_MEMBERS`` members are read."""
    if count > MAX_MEMBERS:
        raise DistributionError(
            f"the archive has {count} members, more than the {MAX_MEMBERS} tpublish reads",
            "a distribution with that many files is almost certainly broken or hostile",
            path=path,
        )
