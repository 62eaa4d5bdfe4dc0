"""The ``tpublish`` command group: ``upload``, ``check`` and ``auth`` (defined in ``commands``)."""

from __future__ import annotations

import click

from tpublish import __version__
from tpublish.cli.commands import auth, check, upload
from tpublish.cli.helptext import CommandGroup


@click.group(
    cls=CommandGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="tpublish")
def main() -> None:
    """Upload Python distributions to PyPI or any index, with Trusted Publishing built in."""


main.add_command(upload)
main.add_command(check)
main.add_command(auth)
