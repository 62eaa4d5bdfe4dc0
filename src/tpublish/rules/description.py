"""Render the long description as the index does (protocol §7.2 step 12), with ``readme_renderer``.

The index renders ``Description`` with the renderer its ``Description-Content-Type`` names
(reStructuredText when there is none) and refuses the upload when nothing comes out. For
reStructuredText the renderer's first complaint is reported with its line number.

A hostile description must not hang ``check`` or ``upload``: the HTML cleaner's work grows with
the square of the nesting depth (``"> " * 100000`` as Markdown takes minutes), the Markdown
converter's with the square of some raw HTML, and docutils recurses on nested blocks. So the
rendering is bounded, each limit reported as "too complex to render": Markdown whose HTML nests
deeper than ``MAX_NESTING`` (measured on the converter's output, before the cleaner runs), a
renderer that runs out of recursion, and a rendering that takes longer than ``RENDER_BUDGET``
seconds. A large description, or one with much raw HTML, is rendered in a child process that is
killed at the budget (the converter holds the GIL: a thread could not be left behind); a small
one here, on a thread we stop waiting for at the budget.
"""

from __future__ import annotations

import email.message
import functools
import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from tpublish.rules.findings import Finding, error, warning

MAX_NESTING = 1000  # open HTML elements at once; real READMEs stay under a few dozen
RENDER_BUDGET = 10.0  # seconds; real READMEs render in well under one
# Beyond these a description is rendered in a child process: its cost is no longer negligible.
ISOLATE_LENGTH = 100_000
ISOLATE_TAGS = 5_000
_TOO_COMPLEX = "The description is too complex to render"
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)

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
    """
    if len(description) > ISOLATE_LENGTH or description.count("<") > ISOLATE_TAGS:
        return _render_in_child(description, content_type)
    return render_here(description, content_type)


def _render_in_child(description: str, content_type: str | None) -> str | None:
    """``render_here`` in a child process, killed when ``RENDER_BUDGET`` has passed."""
    request = json.dumps({"description": description, "content_type": content_type})
    try:
        child = subprocess.run(
            [sys.executable, "-m", __name__],
            input=request,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=RENDER_BUDGET,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{_TOO_COMPLEX}: rendering it took more than {RENDER_BUDGET:.0f} s."
    try:
        problem = json.loads(child.stdout)["problem"]
    except (ValueError, KeyError, TypeError):
        return f"{_TOO_COMPLEX}: the renderer failed (exit code {child.returncode})."
    return problem if isinstance(problem, str) else None


def render_here(description: str, content_type: str | None) -> str | None:
    """``render_problem`` in this process (rendering on a thread bounded by ``RENDER_BUDGET``)."""
    message = email.message.EmailMessage()
    try:
        message["content-type"] = content_type or "text/x-rst"
    except (ValueError, IndexError):
        # Not a content type: the index refuses the metadata before it renders anything, and
        # ``pinned`` reports that (invalid-description-content-type).
        return None
    kind = message.get_content_type()
    params = {k: v for k, v in message["content-type"].params.items() if k not in _RESERVED}
    stream = io.StringIO()
    outcome = _within_budget(lambda: _render(kind, description, stream, params))
    if isinstance(outcome, _TooDeep):
        return (
            f"{_TOO_COMPLEX}: its HTML nests {outcome.depth} levels deep (at most {MAX_NESTING})."
        )
    if isinstance(outcome, RecursionError):
        return f"{_TOO_COMPLEX}: it nests too deeply for the renderer."
    if isinstance(outcome, TimeoutError):
        return f"{_TOO_COMPLEX}: rendering it took more than {RENDER_BUDGET:.0f} s."
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome is not None:
        return None
    if content_type:
        head = f"The description failed to render for '{content_type}'."
    else:
        head = "The description failed to render in the default format of reStructuredText."
    return f"{head} {_renderer_says(stream.getvalue())}{_HELP}"


def _render(kind: str, description: str, stream: io.StringIO, params: dict[str, str]) -> object:
    # Each renderer is imported only when a description needs it (docutils alone costs ~50 ms).
    if kind == "text/x-rst":
        import readme_renderer.rst

        return readme_renderer.rst.render(description, stream=stream, **params)
    if kind == "text/markdown":
        return _render_markdown(description, params)
    import readme_renderer.txt

    return readme_renderer.txt.render(description, **params)


def _within_budget(work: Callable[[], object]) -> object:
    """``work()``'s result or exception, or a ``TimeoutError`` once ``RENDER_BUDGET`` has passed.

    The work runs on a daemon thread: a renderer cannot be interrupted, but it need not be waited
    for (the HTML cleaner releases the GIL; docutils shares it).
    """
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting thread)
            outcome.append(exc)

    worker = threading.Thread(target=run, name="render-description", daemon=True)
    worker.start()
    worker.join(RENDER_BUDGET)
    return outcome[0] if outcome else TimeoutError()


class _TooDeep(Exception):
    """The HTML nests deeper than ``MAX_NESTING``: the cleaner's work would grow with its square."""

    def __init__(self, depth: int) -> None:
        super().__init__(depth)
        self.depth = depth


def _render_markdown(description: str, params: dict[str, str]) -> str | None:
    """``readme_renderer.markdown.render``'s verdict (None: the index refuses the description),
    reached by its own steps less the one that cannot change it, within our nesting bound.

    ``render`` returns None when no converter is installed, the variant is unknown, the converted
    HTML is empty, or the HTML cleaner refuses it (ValueError): each is decided here as ``render``
    decides it, with its converters (``variants``) and its cleaner (``clean``). Its other steps,
    prefixing in-page links and highlighting fenced code with Pygments (which loads a lexer and
    compiles its regular expressions per language: most of a README's rendering time), only
    rewrite markup that the cleaner then filters: they never make it return None, so they are
    skipped. The raw HTML in the source is measured first: nested deep, it is also what makes the
    converter itself slow. (Warehouse renders the description in full: its HTML is not ours to
    produce, only its verdict.)
    """
    import readme_renderer.clean
    import readme_renderer.markdown

    raw = _nesting(description)
    if raw > MAX_NESTING:
        raise _TooDeep(raw)
    convert = readme_renderer.markdown.variants.get(params.get("variant", "GFM"))
    if convert is None:
        return None
    html = convert(description)
    depth = _nesting(html)
    if depth > MAX_NESTING:
        raise _TooDeep(depth)
    if not html:
        return None
    return readme_renderer.clean.clean(html)


def _nesting(html: str) -> int:
    """The most elements open at once in ``html`` (void and self-closed elements aside)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _renderer_says(report: str) -> str:
    match = _DOCUTILS.search(report)
    if match is not None:
        line = f"line {match['line']}: " if match["line"] else ""
        return f"{line}{match['level'].capitalize()}: {match['message'].strip()} "
    first = report.strip().splitlines()[0] if report.strip() else ""
    return f"{first} " if first else ""


if __name__ == "__main__":  # the child process of _render_in_child
    asked = json.loads(sys.stdin.read())
    found = render_here(asked["description"], asked["content_type"])
    sys.stdout.write(json.dumps({"problem": found}))
