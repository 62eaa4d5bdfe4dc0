"""Text from outside (the index's answers, file names, archive contents) made safe to show.

Used everywhere, like ``redact``: a rule's finding, a log line and a table cell all pass text
that tpublish did not write through here before a person or a CI runner reads it.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` on one line: control characters (from hostile names) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
