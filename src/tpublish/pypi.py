"""PyPI and TestPyPI, recognised one way: by the URL's host, whatever its case or port.

Several rules apply to them only (API tokens only, attestations only with trusted publishing,
PyPI's own check policy, release pages, the JSON API); each asks here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

PYPI_HOSTS = frozenset({"upload.pypi.org", "test.pypi.org", "pypi.org", "www.pypi.org"})
# The web site of each upload host: its release pages and JSON API.
_WEB_BASES = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_pypi_url(url: str) -> bool:
    """True when ``url`` points at PyPI or TestPyPI."""
    return _host(url) in PYPI_HOSTS


def pypi_web_base(upload_url: str) -> str | None:
    """``https://pypi.org`` or ``https://test.pypi.org`` for their https upload URLs, else None."""
    if not upload_url.lower().startswith("https://"):
        return None
    return _WEB_BASES.get(_host(upload_url))
