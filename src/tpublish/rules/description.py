"""Render the long description as the index does (protocol §7.2 step 12), with ``readme_renderer``.

The index renders ``Description`` with the renderer its ``Description-Content-Type`` names
(reStructuredText when there is none) and refuses the upload when nothing comes out. For
reStructuredText the renderer's first complaint is reported with its line number.
"""

from __future__ import annotations

import email.message
import functools
import io
import re
from collections.abc import Sequence

from tpublish.rules.findings import Finding, error, warning

_RESERVED = frozenset({"raw", "stream"})  # the renderers' own argument names
_HELP = "See https://pypi.org/help/#description-content-type for more information."
_DOCUTILS = re.compile(
    r"^<string>:(?P<line>\d*): \((?P<level>[A-Z]+)/\d+\) (?P<message>.*)$", re.MULTILINE
)


def description_findings(fields: Sequence[tuple[str, str]]) -> list[Finding]:
    """Missing description or content type (warnings), a description that fails to render (error)."""
    values = dict(fields)
    description = values.get("description")
    content_type = values.get("description_content_type")
    findings: list[Finding] = []
    if content_type is None:
        findings.append(
            warning(
                "description-content-type-missing",
                "Description-Content-Type is missing: the index renders the description as"
                " reStructuredText (text/x-rst)",
            )
        )
    if not description:
        findings.append(
            warning(
                "description-missing",
                "the long description (Description) is missing: the project page will be empty",
            )
        )
        return findings
    problem = render_problem(description, content_type)
    if problem is not None:
        findings.append(error("description-render", problem))
    return findings


@functools.lru_cache(maxsize=64)
def render_problem(description: str, content_type: str | None) -> str | None:
    """The index's message when ``description`` does not render (None when it does).

    The files of one release share their description: it is rendered once, not once per file.
    Each renderer is imported only when a description needs it (docutils alone costs ~50 ms):
    hence the imports inside the branches.
    """
    message = email.message.EmailMessage()
    message["content-type"] = content_type or "text/x-rst"
    kind = message.get_content_type()
    params = {k: v for k, v in message["content-type"].params.items() if k not in _RESERVED}
    stream = io.StringIO()
    if kind == "text/x-rst":
        import readme_renderer.rst

        rendered = readme_renderer.rst.render(description, stream=stream, **params)
    elif kind == "text/markdown":
        import readme_renderer.markdown

        rendered = readme_renderer.markdown.render(description, **params)
    else:
        import readme_renderer.txt

        rendered = readme_renderer.txt.render(description, **params)
    if rendered is not None:
        return None
    if content_type:
        head = f"The description failed to render for '{content_type}'."
    else:
        head = "The description failed to render in the default format of reStructuredText."
    return f"{head} {_renderer_says(stream.getvalue())}{_HELP}"


def _renderer_says(report: str) -> str:
    match = _DOCUTILS.search(report)
    if match is not None:
        line = f"line {match['line']}: " if match["line"] else ""
        return f"{line}{match['level'].capitalize()}: {match['message'].strip()} "
    first = report.strip().splitlines()[0] if report.strip() else ""
    return f"{first} " if first else ""
