"""URLs and e-mail addresses, judged by the libraries PyPI judges them with.

PyPI (``warehouse/forklift/metadata.py``) checks Home-page, Download-URL and each Project-URL
with ``rfc3986`` (``warehouse/utils/http.py:is_valid_uri``: http or https, no authority
required) and the address in Author-email and Maintainer-email with ``email-validator``
(``check_deliverability=False``, every other option at its default). Using the same libraries
the same way is the only way to agree with it on the odd cases: ``https://example.com/my
project`` is accepted (rfc3986 percent-encodes the space), ``https://example.com/?q=[1]`` is not.

Both libraries cost tens of milliseconds to import (their grammars are compiled at import):
they are imported on first use, so a release without URLs or e-mails never pays for them, and
a release of 100 wheels sharing metadata pays once (the metadata rules are cached by content).
"""

from __future__ import annotations

import email.utils
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rfc3986.validators import Validator


@functools.lru_cache(maxsize=1)
def _validator() -> Validator:
    # Imported here: rfc3986 compiles its grammar at import (~15 ms); see the module docstring.
    from rfc3986 import validators

    return (
        validators.Validator()
        .allow_schemes("http", "https")
        .require_presence_of("scheme")
        .check_validity_of("scheme", "host", "port", "path", "query")
    )


@functools.lru_cache(maxsize=1024)
def is_valid_url(url: str) -> bool:
    """Whether PyPI accepts ``url`` in Home-page, Download-URL or a Project-URL.

    rfc3986 normalises first (percent-encoding what it must, lower-casing scheme and host),
    then validates scheme, host, port, path and query; the fragment is not checked and no host
    is required, exactly as Warehouse calls it with ``require_authority=False``.
    """
    # Imported here with the validator (see the module docstring).
    from rfc3986 import exceptions, uri_reference

    try:
        _validator().validate(uri_reference(url).normalize())
    except exceptions.ValidationError:
        return False
    return True


def address_of(value: str) -> str:
    """The one address PyPI validates in an Author-email/Maintainer-email value ('' for none).

    Warehouse takes ``email.utils.parseaddr(value)[1]`` on CPython 3.14, whose strict mode
    yields nothing for a value with more than one address (so nothing is validated) and for
    unbalanced parentheses or a ``[`` in the address. Python before the CVE-2023-27043 fix
    (3.10-3.12 without the backport) parses leniently: there the strict steps are done here.
    """
    if getattr(email.utils, "supports_strict_parsing", False):
        return email.utils.parseaddr(value, strict=True)[1]  # type: ignore[call-arg,unused-ignore]
    if not _balanced_parentheses(value):
        return ""
    addresses = email.utils.getaddresses([value])  # the lenient parser, one field
    if len(addresses) != 1 or "[" in addresses[0][1]:
        return ""
    return addresses[0][1]


def _escaped(text: str) -> list[tuple[int, str]]:
    """(position, character) with each backslash pair as one item, as CPython walks it."""
    out: list[tuple[int, str]] = []
    escape = False
    for pos, char in enumerate(text):
        if escape:
            out.append((pos, "\\" + char))
            escape = False
        elif char == "\\":
            escape = True
        else:
            out.append((pos, char))
    if escape:
        out.append((len(text) - 1, "\\"))
    return out


def _balanced_parentheses(value: str) -> bool:
    """CPython's strict-mode pre-check: parentheses outside quoted names must balance."""
    # Drop each closed "quoted name" first; an unclosed quote stays (CPython does the same).
    kept: list[str] = []
    start, opened = 0, None
    for pos, char in _escaped(value):
        if char == '"':
            if opened is None:
                opened = pos
            else:
                kept.append(value[start:opened])
                start, opened = pos + 1, None
    kept.append(value[start:])
    depth = 0
    for _pos, char in _escaped("".join(kept)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@functools.lru_cache(maxsize=1024)
def email_problem(address: str) -> str | None:
    """Why PyPI refuses ``address`` (email-validator's words), or None when it accepts it."""
    # Imported here: email-validator compiles its grammar at import (~20 ms).
    import email_validator

    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return str(exc)
    return None
