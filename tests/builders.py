"""Build small but valid wheels and sdists inside tests (no checked-in binaries).

Each builder writes a real archive with real core metadata, so the code under test reads it exactly
as it would read the output of a build backend. Keyword arguments let a test break one thing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name


def metadata_text(
    name: str,
    version: str,
    *,
    metadata_version: str = "2.4",
    summary: str | None = "A test package",
    extra: Sequence[tuple[str, str]] = (),
    description: str | None = "Test package\n============\n\nIt works.\n",
) -> str:
    """Core metadata (RFC 822 style) with the given fields; ``extra`` adds headers in order."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if summary is not None:
        lines.append(f"Summary: {summary}")
    lines.extend(f"{key}: {value}" for key, value in extra)
    text = "\n".join(lines) + "\n"
    if description is not None:
        text += "\n" + description
    return text


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def make_wheel(
    directory: Path,
    name: str = "demo-pkg",
    version: str = "1.0.0",
    *,
    tag: str = "py3-none-any",
    filename: str | None = None,
    metadata: str | None = None,
    extra_metadata: Sequence[tuple[str, str]] = (),
    payload_size: int = 0,
    extra_files: Iterable[tuple[str, bytes]] = (),
    record: bool = True,
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` (normalised as a build backend would) and return it.

    ``payload_size`` adds a stored (uncompressed) data file of that many pseudo-random bytes, for
    size and memory tests. ``metadata`` replaces the METADATA text entirely.
    """
    dist_name = canonicalize_name(name).replace("-", "_")
    dist_info = f"{dist_name}-{version}.dist-info"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (filename or f"{dist_name}-{version}-{tag}.whl")
    meta = metadata if metadata is not None else metadata_text(name, version, extra=extra_metadata)
    members: list[tuple[str, bytes]] = [
        (f"{dist_name}/__init__.py", b"__version__ = '%s'\n" % version.encode()),
        *extra_files,
        (f"{dist_info}/METADATA", meta.encode()),
        (
            f"{dist_info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
        ),
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        records = []
        for arcname, data in members:
            zf.writestr(arcname, data)
            records.append(_record_line(arcname, data))
        if payload_size:
            _write_payload(zf, f"{dist_name}/payload.bin", payload_size)
            records.append(f"{dist_name}/payload.bin,,")
        if record:
            records.append(f"{dist_info}/RECORD,,")
            zf.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return path


def _write_payload(zf: zipfile.ZipFile, arcname: str, size: int) -> None:
    """Stream ``size`` incompressible bytes into the archive without holding them in memory."""
    info = zipfile.ZipInfo(arcname)
    info.compress_type = zipfile.ZIP_STORED
    block = os.urandom(1 << 20)
    with zf.open(info, "w", force_zip64=size > (1 << 31)) as out:
        remaining = size
        counter = 0
        while remaining > 0:
            chunk = hashlib.sha256(counter.to_bytes(8, "big")).digest() + block
            out.write(chunk[:remaining])
            remaining -= min(len(chunk), remaining)
            counter += 1


def make_sdist(
    directory: Path,
    name: str = "demo-pkg",
    version: str = "1.0.0",
    *,
    filename: str | None = None,
    metadata: str | None = None,
    extra_metadata: Sequence[tuple[str, str]] = (),
    include_pkg_info: bool = True,
) -> Path:
    """Write a PEP 625 sdist ``<normalised_name>-<version>.tar.gz`` and return its path."""
    dist_name = canonicalize_name(name).replace("-", "_")
    top = f"{dist_name}-{version}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (filename or f"{top}.tar.gz")
    meta = metadata if metadata is not None else metadata_text(name, version, extra=extra_metadata)
    pyproject = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["{dist_name}"]\n'
    )
    members = [
        (f"{top}/pyproject.toml", pyproject.encode()),
        (f"{top}/{dist_name}/__init__.py", b"__version__ = '%s'\n" % version.encode()),
    ]
    if include_pkg_info:
        members.append((f"{top}/PKG-INFO", meta.encode()))
    with tarfile.open(path, "w:gz") as tf:
        for arcname, data in members:
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    return path


def make_release(directory: Path, name: str = "demo-pkg", version: str = "1.0.0") -> list[Path]:
    """A wheel and an sdist of one release, the usual content of ``dist/``."""
    directory.mkdir(parents=True, exist_ok=True)
    return [make_wheel(directory, name, version), make_sdist(directory, name, version)]
