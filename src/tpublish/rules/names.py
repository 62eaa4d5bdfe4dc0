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
def stdlib_names() -> frozenset[str]:
    """Every normalised name PyPI keeps from new projects as a standard-library module's."""
    # Imported here: only a release's name check needs the lists (~20 ms to load them).
    import stdlib_list

    modules: set[str] = set()
    for version in stdlib_list.short_versions:
        modules.update(stdlib_list.stdlib_list(version))
    prefixes = {module[:end] for module in modules for end in _prefix_ends(module)}
    return frozenset(_SEPARATORS.sub("-", p.strip("-_.")).lower() for p in prefixes)


def _prefix_ends(module: str) -> list[int]:
    """Where each dotted prefix of ``module`` ends: ``a.b.c`` gives a, a.b and a.b.c."""
    return [i for i, char in enumerate(module) if char == "."] + [len(module)]


@functools.lru_cache(maxsize=64)
def name_findings(name: str) -> tuple[Finding, ...]:
    """A warning when PyPI would refuse ``name`` (as the form sends it) for a new project."""
    if canonicalize_name(name) not in stdlib_names():
        return ()
    return (
        warning(
            "stdlib-name",
            f"The name {name!r} isn't allowed (conflict with Python Standard Library module"
            f" name). {_HELP} (PyPI refuses this name when the upload would create the project;"
            " an existing project keeps it)",
        ),
    )
