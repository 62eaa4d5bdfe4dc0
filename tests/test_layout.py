"""The package's shape: one folder per stage, imports running one way, no module over ~400 lines.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
that goes the wrong way is still a dependency the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tpublish"

# Each folder, from the command line down to the index, and the folders it may import. ``root``
# is the package's own modules: ``errors`` and ``redact``, used everywhere.
ALLOWED: dict[str, set[str]] = {
    "cli": {"output", "publish", "auth", "rules", "dists", "index", "root"},
    "output": {"publish", "dists", "index", "root"},
    "publish": {"auth", "dists", "index", "root"},
    "auth": {"index", "root"},
    "rules": {"dists", "root"},
    "dists": {"root"},
    "index": {"root"},
    "root": {"root"},
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def folder(module: str) -> str:
    parts = module.split(".")
    if module == "tpublish.__main__":  # ``python -m tpublish``: the command line's other door
        return "cli"
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "root"


def imports(path: Path) -> set[str]:
    """The ``tpublish`` modules that ``path`` imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tpublish"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tpublish"):
            assert node.module is not None
            for alias in node.names:  # ``from tpublish.output import ci`` names a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def test_every_module_sits_in_a_known_folder() -> None:
    for name in MODULES:
        assert folder(name) in ALLOWED, name


def test_imports_run_one_way() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if folder(target) != folder(source) and folder(target) not in ALLOWED[folder(source)]
    ]
    assert wrong == []


def test_no_import_cycle() -> None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for target in sorted(GRAPH.get(name, ())):
            if target in MODULES:
                visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(MODULES):
        visit(name)


def test_each_folder_says_what_it_owns_and_may_import() -> None:
    for name in ALLOWED:
        if name == "root":
            continue
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "May import" in doc, name
        for other in ALLOWED[name] - {"root"}:
            assert f"``{other}``" in doc, (name, other)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_allowed_map_itself_has_no_cycle() -> None:
    order = ["cli", "output", "publish", "auth", "rules", "dists", "index", "root"]
    for source, targets in ALLOWED.items():
        for target in targets - {source}:
            assert order.index(target) > order.index(source), (source, target)
