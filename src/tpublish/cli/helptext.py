"""How ``--help`` reads: each command's options under headings, the command list never cut.

Only click is imported here (``tpublish --help`` must start fast): the headings are click's own
``formatter.section``. rich-click would draw them in boxes, at about twice the start-up time of
``--help`` (measured: 0.60 s against 0.27 s here, where twine's ``--help`` takes 0.66 s).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

# Where each option appears in ``--help``: headings in the order shown, and under each the options
# (by their parameter name) in the order shown. A new option is one more name in one of these
# tuples; tests/cli/test_help.py fails for an option that has no heading.
HELP_SECTIONS: dict[str, tuple[str, ...]] = {
    "Target": ("repository", "repository_url", "config_file"),
    "Credentials": ("token", "username", "password", "non_interactive", "no_keyring"),
    "Trusted publishing": ("trusted_publishing", "exchange"),
    "Attestations": ("attest", "attestations", "sigstore_trust_config"),
    "Behaviour": (
        "skip_existing",
        "dry_run",
        "strict",
        "comment",
        "no_check",
        "concurrency",
        "retries",
        "retry_backoff",
    ),
    "Network and TLS": (
        "cert",
        "client_cert",
        "native_tls",
        "allow_http",
        "connect_timeout",
        "timeout",
    ),
    "Output": ("json_mode", "verbose", "no_progress", "debug", "help"),
    "Accepted for twine, ignored": ("sign", "sign_with", "identity"),
}
OTHER_SECTION = "Other options"
_TERM_WIDTH = 30  # the option column's width, the same under every heading


class SectionedCommand(click.Command):
    """A command whose ``--help`` lists its options under the headings of ``HELP_SECTIONS``."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        order = {
            name: n for n, name in enumerate(n for names in HELP_SECTIONS.values() for n in names)
        }
        heading = {name: title for title, names in HELP_SECTIONS.items() for name in names}
        sections: dict[str, list[tuple[int, tuple[str, str]]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or not isinstance(param, click.Option):
                continue  # hidden options; the arguments are in the usage line
            name = "help" if param is self.get_help_option(ctx) else param.name or ""
            title = heading.get(name, OTHER_SECTION)
            sections.setdefault(title, []).append((order.get(name, len(order)), record))
        for title in [*HELP_SECTIONS, OTHER_SECTION]:
            rows = [record for _, record in sorted(sections.get(title, []), key=lambda r: r[0])]
            if rows:
                with formatter.section(title):
                    # Terms padded to one width: the help column lines up under every heading.
                    formatter.write_dl(
                        [(term.ljust(_TERM_WIDTH), text) for term, text in rows],
                        col_max=_TERM_WIDTH,
                    )


class CommandGroup(click.Group):
    """The ``tpublish`` group: its command list shows each summary whole, wrapped, never cut;
    with ``--json``, a command line click refuses is answered with a JSON document too."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        options = argv[: argv.index("--")] if "--" in argv else argv
        if not standalone_mode or "--json" not in options:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            # Only for a refused command line: the console and the document's shape load here.
            import io

            from tpublish.cli.boundary import make_console, usage_error_document
            from tpublish.output.text import safe

            console = make_console(json=True, verbose=False)
            console.emit_json(usage_error_document(exc.format_message(), exc.exit_code))
            console.close()  # masked, and escaped as every JSON document of ours is
            shown = io.StringIO()
            exc.show(file=shown)  # the usual message and usage line, said on stderr safely
            console.write_raw(safe(shown.getvalue()))
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.exit(1)
        sys.exit(code or 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
