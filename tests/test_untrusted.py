"""``untrusted.neutralise``: the one step that makes outside text safe to show."""

from __future__ import annotations

import pytest

from tpublish.untrusted import is_clean_token, neutralise


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text: fine", "plain text: fine"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("back\x08\x08space\rCR", "back\\x08\\x08space\\rCR"),
        ("c1 \x9b2J \x9d", "c1 \\x9b2J \\x9d"),
        ("bidi \u202eevil", "bidi \\u202eevil"),
        ("a\nb", "a\\nb"),
        ("::stop-commands::x", "\\::stop-commands::x"),
        ("   ::error::x", "   \\::error::x"),
        ("mid ::error::x", "mid ::error::x"),  # not at the start of a line: not a command
        ("x ##[error]y", "x ##\\[error]y"),
        ("section_start:1:x section_end:1:x", "section_start\\:1:x section_end\\:1:x"),
        ("ünïcödé ok", "ünïcödé ok"),
    ],
)
def test_one_line(text: str, shown: str) -> None:
    assert neutralise(text) == shown


def test_several_lines_are_each_made_safe() -> None:
    text = "first\n::warning::forged\n  ::error::also\r\nlast"
    assert neutralise(text, multiline=True) == (
        "first\n\\::warning::forged\n  \\::error::also\\r\nlast"
    )


def test_tokens_are_printable_ascii_without_spaces() -> None:
    assert is_clean_token("pypi-AgEIcHlwaS5vcmc_-.~")
    for bad in ("", "pypi-a b", "pypi-\x1b", "pypi-\n", "pypi-é", "pypi-\u202e"):
        assert not is_clean_token(bad)
