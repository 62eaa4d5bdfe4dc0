"""Text from outside made safe to show: the one neutralising step.

Outside text — the index's reason phrases and bodies, mint error descriptions, file names (those
given on the command line too), token claims and values, attestation contents, exception messages
— passes through ``neutralise`` before a person, a terminal or a CI runner reads it. The console
applies it to every line it writes as well (our own words pass unchanged), so a path that forgets
cannot write a control sequence or a runner command.

What comes out:

- no control character: C0 (BEL, backspace, CR, ESC ...), DEL, C1 (CSI, OSC ...) and every other
  character Python does not call printable (bidi overrides, line separators) is shown escaped,
  as ``\\x1b`` or ``\\u202e``; a newline too, unless the text is meant to have several lines;
- no line a CI runner would obey: a GitHub Actions workflow command (``::name::`` at the start of
  a line, after spaces, or ``##[name]`` anywhere in it) and a GitLab section marker
  (``section_start:`` / ``section_end:``) each get a backslash that breaks them, visibly.
"""

from __future__ import annotations

import re

# A workflow command: "::" after leading spaces (the runner trims them), or the older "##[".
_WORKFLOW_COMMAND = re.compile(r"^( *)::")
_LEGACY_COMMAND = "##["
_GITLAB_SECTION = re.compile(r"section_(start|end):")


def _escaped(char: str) -> str:
    return repr(char)[1:-1]  # repr escapes exactly the characters that are not printable


def _line(line: str) -> str:
    if not line.isprintable():
        line = "".join(c if c.isprintable() else _escaped(c) for c in line)
    if ":" not in line and "#" not in line:
        return line
    line = _WORKFLOW_COMMAND.sub(r"\1\\::", line)
    line = line.replace(_LEGACY_COMMAND, "##\\[")
    return _GITLAB_SECTION.sub(r"section_\1\\:", line)


def neutralise(text: str, *, multiline: bool = False) -> str:
    """``text`` safe for a terminal, a log and a CI runner (see the module docstring).

    One line unless ``multiline``: then newlines stay (CR is always escaped) and each line is
    made safe on its own.
    """
    if not multiline:
        return _line(text)
    return "\n".join(_line(line) for line in text.split("\n"))


def printable(text: str) -> str:
    """``text`` on one line, safe to show (the name the rules and ``check`` use)."""
    return neutralise(text)


def is_clean_token(value: str) -> bool:
    """A token (an API or minted upload token) is printable ASCII without spaces."""
    return bool(value) and all("!" <= c <= "~" for c in value)
