"""One answer to "is this PyPI or TestPyPI?", by host, for every rule that asks."""

from __future__ import annotations

import pytest

from tpublish.pypi import is_pypi_url, pypi_web_base


@pytest.mark.parametrize(
    ("url", "pypi", "web"),
    [
        ("https://upload.pypi.org/legacy/", True, "https://pypi.org"),
        ("https://upload.pypi.org:443/legacy/", True, "https://pypi.org"),
        ("https://UPLOAD.PyPI.org/legacy/", True, "https://pypi.org"),
        ("https://test.pypi.org/legacy/", True, "https://test.pypi.org"),
        ("https://pypi.org/", True, None),  # the web site: no upload endpoint, no release page
        ("http://upload.pypi.org/legacy/", True, None),  # never read over plain http
        ("https://notpypi.org/legacy/", False, None),
        ("https://pypi.org.example.com/legacy/", False, None),
        ("https://pkgs.example.com/pypi.org/legacy/", False, None),
        ("http://127.0.0.1:8080/", False, None),
        ("http://[::1", False, None),  # unparseable: not PyPI
    ],
)
def test_pypi_by_host(url: str, pypi: bool, web: str | None) -> None:
    assert is_pypi_url(url) is pypi
    assert pypi_web_base(url) == web
