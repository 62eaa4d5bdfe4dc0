"""``Index``: one index reached through one HTTP client, as the release sees it.

A thin facade over ``upload`` (send a file) and ``read`` (what the index holds), so that the
release code holds one object per index and tests can stand in for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tpublish.index.read import CannotTell, download_digests, lists_releases, read_listing
from tpublish.index.upload import upload_file

if TYPE_CHECKING:
    import httpx

    from tpublish.index.multipart import Digests
    from tpublish.index.read import Listing, RemoteFile
    from tpublish.index.upload import BasicAuth, Sent


class Index:
    """One index, reached through ``client`` at the legacy upload URL ``upload_url``."""

    def __init__(self, client: httpx.Client, upload_url: str) -> None:
        self.client = client
        self.upload_url = upload_url

    def upload(
        self,
        path: Path,
        fields: Sequence[tuple[str, str]],
        auth: BasicAuth | None,
        *,
        on_chunk: Callable[[int], None] | None = None,
    ) -> Sent:
        return upload_file(self.client, self.upload_url, path, fields, auth, on_chunk=on_chunk)

    def listing(self, project: str, version: str, auth: BasicAuth | None) -> Listing:
        """The files listed for ``project`` (``version`` on PyPI); raises ``CannotTell``."""
        return read_listing(self.client, self.upload_url, project, version, auth)

    @property
    def lists_releases(self) -> bool:
        """One listing per release (PyPI's JSON API) rather than per project (the simple API)."""
        return lists_releases(self.upload_url)

    def download_digests(
        self, remote: RemoteFile, auth: BasicAuth | None, size: int
    ) -> Digests | None:
        """The digests of the index's copy (read as far as ``size`` + 1 bytes); None: refused."""
        try:
            return download_digests(self.client, self.upload_url, remote, auth, size)
        except CannotTell:
            return None
