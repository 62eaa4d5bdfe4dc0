"""The command line: click, the commands (``upload``, ``check``, ``auth``), their typed options,
and the one place errors become exit codes.

May import ``output``, ``publish``, ``auth``, ``rules``, ``dists``, ``index`` and the package's
root modules (``errors``, ``redact``, ``untrusted``): everything below it.
"""

import sys

# httpx's own __init__ imports its command-line client (httpx._main), which loads rich's progress,
# table and syntax modules and pygments' lexers whenever they are installed, as ours are: ~20 ms
# of every upload for a CLI tpublish never calls. httpx imports it inside try/except ImportError,
# so None in sys.modules (Python's marker for "cannot be imported") makes httpx skip it and
# define a stub ``httpx.main`` instead; nothing else in httpx uses it. Done here, before any
# command can import httpx (tests/cli/test_startup.py checks that httpx still works).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from tpublish.cli.main import main  # noqa: E402  (after the line above, which must come first)

__all__ = ["main"]
