"""The command line: click, the commands (``upload``, ``check``, ``auth``), their typed options,
and the one place errors become exit codes.

May import ``output``, ``publish``, ``auth``, ``rules``, ``dists``, ``index`` and the package's
root modules (``errors``, ``redact``, ``untrusted``): everything below it.
"""

from tpublish.cli.main import main

__all__ = ["main"]
