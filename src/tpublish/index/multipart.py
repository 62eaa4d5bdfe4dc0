"""A streamed ``multipart/form-data`` body that hashes the file while sending it.

The legacy upload API wants the file's digests as form fields. Sending them *after* the file part
(every index parses the whole form before looking at fields) lets one read of the file serve both
the upload and the digests, and the hex digests have a fixed length, so ``Content-Length`` is
known before the first byte goes out: no chunked encoding, which many WSGI servers refuse.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpublish.errors import DistributionError

CHUNK_SIZE = 1 << 20
_DIGEST_FIELDS = ("sha256_digest", "blake2_256_digest")
_HEX_LENGTH = 64


@dataclass(frozen=True)
class Digests:
    """Hex digests of one file, as the upload form wants them."""

    sha256: str
    blake2_256: str


def new_hashers() -> tuple[Any, Any]:
    """A fresh sha256 and BLAKE2b-256 hasher, the two digests the upload form carries."""
    return hashlib.sha256(), hashlib.blake2b(digest_size=32)


def hash_file(path: Path) -> Digests:
    """Read ``path`` once and return its digests, where they are needed before (or without) an
    upload: comparing with the index's copy, a dry run, signing an attestation."""
    sha256, blake2 = new_hashers()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                sha256.update(chunk)
                blake2.update(chunk)
    except OSError as exc:
        raise DistributionError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    return Digests(sha256.hexdigest(), blake2.hexdigest())


_PARALLEL_MIN = 256 * 1024  # smaller chunks hash faster than a thread hand-off
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _hash_chunk(chunk: bytes, *hashers: Any) -> list[Future[None]]:
    """Feed ``chunk`` to each hasher, on worker threads for big chunks (hashlib drops the GIL)."""
    global _pool  # one small pool for the whole process, made on first use
    if len(chunk) < _PARALLEL_MIN:
        for hasher in hashers:
            hasher.update(chunk)
        return []
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpublish-hash")
    return [_pool.submit(hasher.update, chunk) for hasher in hashers]


def _field(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("utf-8")
        + b"\r\n"
    )


class StreamingForm:
    """One upload request body: ``fields``, then the file, then its digests.

    Iterate it exactly once (httpx does); afterwards ``digests`` holds what was sent. ``on_chunk``
    is called with the number of file bytes just handed to the transport, for progress display;
    ``on_sent`` once the last byte of the body has been written.
    """

    def __init__(
        self,
        path: Path,
        fields: Sequence[tuple[str, str]],
        *,
        on_chunk: Callable[[int], None] | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self._on_sent = on_sent
        self.complete = False  # the whole body was written: the index may have stored the file
        self.boundary = secrets.token_hex(16)
        self.size = path.stat().st_size
        self.digests: Digests | None = None
        self._on_chunk = on_chunk
        self._head = (
            b"".join(_field(self.boundary, name, value) for name, value in fields)
            + (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="content"; '
                f'filename="{_quote(path.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
        )
        placeholder = Digests("0" * _HEX_LENGTH, "0" * _HEX_LENGTH)
        self.content_length = len(self._head) + self.size + len(self._tail(placeholder))

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _tail(self, digests: Digests) -> bytes:
        values = (digests.sha256, digests.blake2_256)
        parts = b"".join(
            _field(self.boundary, n, v) for n, v in zip(_DIGEST_FIELDS, values, strict=True)
        )
        return b"\r\n" + parts + f"--{self.boundary}--\r\n".encode()

    def __iter__(self) -> Iterator[bytes]:
        sha256, blake2 = new_hashers()
        hashing: list[Future[None]] = []
        sent = 0
        yield self._head
        with self.path.open("rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                sent += len(chunk)
                if sent > self.size:
                    break
                for done in hashing:  # each hasher takes its chunks in order
                    done.result()
                hashing = _hash_chunk(chunk, sha256, blake2)
                yield chunk  # sent while the digests are computed on other cores
                if self._on_chunk is not None:
                    self._on_chunk(len(chunk))
        for done in hashing:
            done.result()
        if sent != self.size:
            # The declared Content-Length would be a lie; stop before sending a corrupt file.
            raise DistributionError(
                f"the file changed size while it was being uploaded ({self.size} -> {sent} bytes)",
                path=self.path,
            )
        self.digests = Digests(sha256.hexdigest(), blake2.hexdigest())
        yield self._tail(self.digests)
        self.complete = True
        if self._on_sent is not None:  # the transport asks for more only once the tail is written
            self._on_sent()


def _quote(filename: str) -> str:
    """Escape a filename for a Content-Disposition parameter as browsers (and httpx) do."""
    return (
        filename.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    )
