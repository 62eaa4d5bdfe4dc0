"""Every hint in the source reads the same way: lower case, no full stop at the end.

A hint is the line after an error that says what to do (``hint: use --skip-existing …``). The
source is read, not run, so every hint is seen whichever failure produces it: the ``hint=``
argument of any call, the second argument of an error class (``InputError(message, hint)``) or
of a ``super().__init__``, a ``console.hint(...)`` call, and every variable, constant or
attribute named ``*hint*``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import tpublish
from tpublish.errors import TPublishError

SOURCE = Path(tpublish.__file__).parent
HOLE = "\x00"  # where an f-string puts a value: its text is not known here
# Names that keep their capital at the start of a hint, as anywhere else.
PROPER_NOUNS = {"Fulcio", "Rekor", "Sigstore", "PyPI", "TestPyPI", "GitHub", "GitLab", "OpenSSL"}


def error_classes() -> set[str]:
    for module in pkgutil.walk_packages(tpublish.__path__, "tpublish."):
        importlib.import_module(module.name)
    found: set[str] = set()
    todo = [TPublishError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def texts(node: ast.expr, constants: dict[str, ast.expr]) -> list[str]:
    """The strings ``node`` can be, with ``HOLE`` for each value only known when it runs."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        parts = [
            texts(v, constants) if isinstance(v, ast.Constant) else [HOLE] for v in node.values
        ]
        return ["".join(p[0] for p in parts if p)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in texts(node.left, constants) for b in texts(node.right, constants)]
    if isinstance(node, ast.IfExp):
        return texts(node.body, constants) + texts(node.orelse, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return texts(constants[node.id], constants)
    return []


def hints_in(path: Path, classes: set[str]) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        found: list[ast.expr] = []
        if isinstance(node, ast.Call):
            found += [kw.value for kw in node.keywords if kw.arg == "hint"]
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if (name in classes or name == "__init__") and len(node.args) > 1:
                found.append(node.args[1])
            if name == "hint" and node.args:
                found.append(node.args[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in targets]
            if any("hint" in n.lower() for n in named) and node.value is not None:
                found.append(node.value)
        for expr in found:
            for text in texts(expr, constants):
                yield expr.lineno, text


CLASSES = error_classes()
HINTS = [
    (f"{path.relative_to(SOURCE.parent)}:{line}", text)
    for path in sorted(SOURCE.rglob("*.py"))
    for line, text in hints_in(path, CLASSES)
]


def test_the_scan_finds_the_hints() -> None:
    # Enough that a scan broken by a refactoring fails here, not silently.
    assert len(HINTS) > 40
    assert any("--skip-existing" in text for _, text in HINTS)


@pytest.mark.parametrize(("where", "text"), HINTS, ids=[where for where, _ in HINTS])
def test_hint_is_lower_case_without_a_full_stop(where: str, text: str) -> None:
    assert text.strip() == text, f"{where}: a hint has no surrounding space"
    first = text.split()[0].split("'")[0].strip('`",.:;')
    starts_upper = text[:1].isupper() and text[1:2].islower() and first not in PROPER_NOUNS
    assert not starts_upper, f"{where}: starts upper case: {text!r}"
    assert not text.endswith("."), f"{where}: ends with a full stop: {text!r}"
