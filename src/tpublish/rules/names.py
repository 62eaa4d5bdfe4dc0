"""Project names PyPI refuses for a new project: those of standard-library modules.

Warehouse (``warehouse/packaging/services.py``) builds the set from the ``stdlib-list`` package:
every module of every Python version it lists (2.6 to the newest, so ``urllib2`` counts), every
dotted prefix of each (``xml.etree.ElementTree`` gives ``xml`` and ``xml.etree``), stripped of
leading and trailing ``-_.`` (``__future__`` is ``future``) and normalised (``os.path`` is
``os-path``). ``sys.stdlib_module_names`` knows only the running Python's top-level modules and
would miss most of these. The rule applies only when the upload creates the project, which a
client cannot know: tpublish warns.
"""

from __future__ import annotations

import functools
import re

from packaging.utils import canonicalize_name

from tpublish.rules.findings import Finding, warning

_HELP = "See https://pypi.org/help/#project-name for more information."
_SEPARATORS = re.compile(r"[-_.]+")  # packaging's canonicalize_name, without its checks


@functools.lru_cache(maxsize=1)
def _stdlib_modules() -> dict[str, list[str]]:
    """Every module of every Python version ``stdlib-list`` knows, by the first character its
    normalised prefixes share (the first that is not a separator, lower-cased)."""
    # Imported here: only a release's name check needs the lists (~6 ms to load them).
    import stdlib_list

    modules: set[str] = set()
    for version in stdlib_list.short_versions:
        modules.update(stdlib_list.stdlib_list(version))
    by_first: dict[str, list[str]] = {}
    for module in sorted(modules):
        by_first.setdefault(module.lstrip("-_.")[:1].lower()[:1], []).append(module)
    return by_first


def is_stdlib_name(canonical: str) -> bool:
    """Whether PyPI keeps ``canonical`` (a normalised name) as a standard-library module's.

    Warehouse's set holds the normalised dotted prefixes of every module. Only the modules whose
    prefixes start with the name's first character can give it: only those are expanded, not
    all ~2,400 (the set itself takes ~4 ms to build, once per run).
    """
    return any(
        _normalised(module[:end]) == canonical
        for module in _stdlib_modules().get(canonical[:1], ())
        for end in _prefix_ends(module)
    )


def _normalised(prefix: str) -> str:
    return _SEPARATORS.sub("-", prefix.strip("-_.")).lower()


def _prefix_ends(module: str) -> list[int]:
    """Where each dotted prefix of ``module`` ends: ``a.b.c`` gives a, a.b and a.b.c."""
    return [i for i, char in enumerate(module) if char == "."] + [len(module)]


@functools.lru_cache(maxsize=64)
def name_findings(name: str) -> tuple[Finding, ...]:
    """A warning when PyPI would refuse ``name`` (as the form sends it) for a new project."""
    if not is_stdlib_name(canonicalize_name(name)):
        return ()
    return (
        warning(
            "stdlib-name",
            f"The name {name!r} isn't allowed (conflict with Python Standard Library module"
            f" name). {_HELP} (PyPI refuses this name when the upload would create the project;"
            " an existing project keeps it)",
        ),
    )
