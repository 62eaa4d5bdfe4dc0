"""tpublish's verdict on URLs and e-mail addresses against the libraries PyPI uses, as PyPI uses them.

A few hundred wheels with seeded random Home-page, Project-URL and Author-email values go through
``tpublish check``; each verdict must equal the oracle's, written here the way Warehouse writes
it: ``rfc3986`` normalise then validate (http/https, scheme required, host optional, fragment
unchecked) and ``email_validator.validate_email(address, check_deliverability=False)`` on the
address ``email.utils.parseaddr`` finds. The oracle sees the values tpublish sends in the form.
"""

from __future__ import annotations

import email.utils
import json
import random
from pathlib import Path

import email_validator
from rfc3986 import exceptions, uri_reference, validators

from builders import make_wheel
from tpublish.rules.checker import check_files
from tpublish.rules.links import address_of

SEED = 13
WHEELS = 300
DATA = Path(__file__).parent / "data" / "parseaddr_strict.json"


def pypi_accepts_url(url: str) -> bool:
    """``warehouse/utils/http.py:is_valid_uri(url, require_authority=False)``."""
    validator = (
        validators.Validator()
        .allow_schemes("http", "https")
        .require_presence_of("scheme")
        .check_validity_of("scheme", "host", "port", "path", "query")
    )
    try:
        validator.validate(uri_reference(url).normalize())
    except exceptions.ValidationError:
        return False
    return True


def pypi_accepts_email(value: str) -> bool:
    """``warehouse/forklift/metadata.py``: the parsed address, if any, must validate."""
    _, address = email.utils.parseaddr(value)
    if not address:
        return True
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


PATH_PIECES = ["docs", "für", "{version}", "a b", "[x]", "%5B", "%zz", "|", "^", "~", "é", "-", "."]
QUERY_PIECES = ["q=1", "q=[1]", "a=%5B1%5D", "x={y}", "a b", "é=1", "k=|"]
HOSTS = [
    "example.com",
    "Example.ORG",
    "exa mple.com",
    "ex_ample.com",
    "127.0.0.1",
    "[::1]",
    "例え.jp",
    "",
]


def random_url(rng: random.Random) -> str:
    scheme = rng.choice(["http", "https", "HTTPS", "ftp", "mailto", ""])
    host = rng.choice(HOSTS)
    port = rng.choice(["", "", f":{rng.randint(0, 70000)}", ":abc"])
    path = "/".join(rng.choice(PATH_PIECES) for _ in range(rng.randint(0, 3)))
    query = f"?{rng.choice(QUERY_PIECES)}" if rng.random() < 0.4 else ""
    fragment = f"#{rng.choice(['top', '[1]', 'a b'])}" if rng.random() < 0.3 else ""
    authority = f"//{host}{port}" if rng.random() < 0.9 else ""
    prefix = f"{scheme}:" if scheme else ""
    return f"{prefix}{authority}/{path}{query}{fragment}".rstrip() + rng.choice(["", "", " "])


LOCAL = "abcXYZ09._-+!#$%&'*/=?^`{|}~é"
DOMAINS = [
    "example.com", "foo_bar.com", "a.test", "x.local", "Janes-MacBook-Pro.local", "ex--ample.org",
    "münchen.de", "a.b", "localhost", "-a.com", "a-.com", "a..com", "123.com", "a.123", "é.com",
    "a.onion", "home.arpa", "a.invalid", "A.COM", "x.internal", "sub.example.co.uk",
]  # fmt: skip


def random_email(rng: random.Random) -> str:
    local = "".join(rng.choice(LOCAL) for _ in range(rng.randint(0, 8)))
    address = f"{local}@{rng.choice(DOMAINS)}"
    # Without commas, quotes, parentheses or brackets, lenient and strict parseaddr agree.
    return rng.choice([address, f"Jane Doe <{address}>", address.replace("@", " at ")])


def test_verdicts_match_rfc3986_and_email_validator(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    for i in range(WHEELS):
        url, other, address = random_url(rng), random_url(rng), random_email(rng)
        headers = [("Description-Content-Type", "text/plain"), ("Home-page", url)]
        headers += [("Project-URL", f"Docs, {other}"), ("Author-email", address)]
        make_wheel(tmp_path / f"w{i}", f"demo{i}", extra_metadata=headers)
    reports = check_files([str(tmp_path / "w*" / "*.whl")])
    assert len(reports) == WHEELS
    agree = {"url": 0, "project-url": 0, "email": 0}
    refused = dict.fromkeys(agree, 0)
    for report in reports:
        assert report.dist is not None, report.findings
        sent = dict(report.dist.fields)
        codes = {f.code for f in report.findings if f.severity == "error"}
        project_url = sent["project_urls"].partition(",")[2].strip()
        for kind, value, oracle, code in (
            ("url", sent["home_page"], pypi_accepts_url, "invalid-url"),
            ("project-url", project_url, pypi_accepts_url, "invalid-project-url"),
            ("email", sent["author_email"], pypi_accepts_email, "invalid-email"),
        ):
            expected = oracle(value) if value else False
            if kind == "project-url" and not value:
                expected = False  # "Must have a URL"
            assert (code not in codes) is expected, (report.filename, kind, value)
            agree[kind] += 1
            refused[kind] += not expected
    # The sample must hold both verdicts in good numbers, or it proves nothing.
    for kind in agree:
        assert 30 <= refused[kind] <= WHEELS - 30, (kind, refused)


def test_strict_parseaddr_as_cpython_313_parses() -> None:
    """The address tpublish validates is the one CPython's strict ``parseaddr`` finds.

    The cases were recorded with CPython 3.13.0 (the strict parser PyPI's 3.14 has too);
    on older Pythons tpublish writes the strict steps out itself.
    """
    recorded = json.loads(DATA.read_text(encoding="utf-8"))
    assert recorded["python"].startswith("3.13")
    mismatches = [
        (value, address, address_of(value))
        for value, address in recorded["cases"]
        if address_of(value) != address
    ]
    assert mismatches == []
    assert len(recorded["cases"]) > 500
