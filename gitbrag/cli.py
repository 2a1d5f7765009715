"""The ``gitbrag`` command: one parser, each subcommand implemented by the module that owns it.

    gitbrag report USERNAME ...   the report in the terminal (gitbrag.cli_report)
    gitbrag fakehub --port N      the simulated GitHub (gitbrag.fakehub.server)
    gitbrag worker                Dramatiq worker (actors.cli)
    gitbrag scheduler             periodiq scheduler (actors.cli)
    gitbrag web                   the web server (web.server)
    gitbrag up                    the whole stack, supervised (gitbrag.runtime.stack)
    gitbrag demo                  the stack against the simulated GitHub (gitbrag.runtime.stack)

Exit codes: 0 done, 1 GitHub or user error, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, cast

from pydantic import ValidationError

from gitbrag.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]


def _lazy(target: str, *, extra: str | None = None) -> Handler:
    """Import the handler only when its subcommand runs (keeps ``gitbrag report`` fast).

    ``extra`` names the optional dependency set the handler needs: when it is not
    installed, the command says how to install it instead of printing a traceback.
    """

    def run(args: argparse.Namespace) -> int:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if extra is None or (exc.name or "").startswith("gitbrag"):
                raise
            print(
                f"gitbrag: this command needs the {extra} extra ({exc.name} is missing): "
                f"pip install 'gitbrag[{extra}]'",
                file=sys.stderr,
            )
            return 2
        return cast(Handler, getattr(module, attr))(args)

    return run


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint where a login beginning with a hyphen was taken for an option."""

    def error(self, message: str) -> NoReturn:
        if "username" in message:
            message += " (a login beginning with a hyphen goes after --: gitbrag report -- -jerry-)"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gitbrag",
        description="Turn someone's GitHub pull requests into a report they are proud to share.",
        epilog="Exit codes: 0 done, 1 GitHub or user error, 2 usage or configuration error.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser(
        "report",
        help="print a user's pull request report",
        epilog="A login beginning with a hyphen (legacy accounts such as -jerry-) goes after "
        "--, which ends the options: gitbrag report --period all_time -- -jerry-",
    )
    report.add_argument("username", help="GitHub login (after -- if it begins with a hyphen)")
    report.add_argument("--period", help="1_year (default), 2_years, 5_years or all_time")
    report.add_argument("--since", help="first day, YYYY-MM-DD (with --until)")
    report.add_argument("--until", help="last day, YYYY-MM-DD (default today)")
    report.add_argument("--include-closed", action="store_true", help="keep closed-unmerged PRs")
    report.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    report.add_argument("--token", help="GitHub token (default: $GITBRAG_GITHUB_TOKEN)")
    report.add_argument("--quiet", action="store_true", help="no progress on stderr")
    report.set_defaults(handler=_lazy("gitbrag.cli_report:run"))

    fakehub = commands.add_parser("fakehub", help="serve the simulated GitHub")
    fakehub.add_argument("--host", default="127.0.0.1")
    fakehub.add_argument("--port", type=int, default=8765)
    fakehub.add_argument("--latency-ms", type=float, default=0.0)
    fakehub.add_argument("--fault-rate", type=float, default=0.0)
    fakehub.set_defaults(handler=_lazy("gitbrag.fakehub.server:run", extra="demo"))

    worker = commands.add_parser("worker", help="run a Dramatiq worker")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument("--threads", type=int, default=8)
    worker.set_defaults(handler=_lazy("actors.cli:run_worker"))

    scheduler = commands.add_parser("scheduler", help="run the periodiq scheduler (exactly one)")
    scheduler.set_defaults(handler=_lazy("actors.cli:run_scheduler"))

    web = commands.add_parser("web", help="serve the web app")
    web.add_argument("--host", default=None)
    web.add_argument("--port", type=int, default=None)
    web.add_argument(
        "--workers",
        type=_count,
        default=None,
        help="web processes (default: GITBRAG_WEB_WORKERS, 0 = one per CPU)",
    )
    web.set_defaults(handler=_lazy("web.server:run"))

    up = commands.add_parser("up", help="start Redis, web, worker and scheduler")
    up.add_argument("--host", default=None)
    up.add_argument("--port", type=int, default=None)
    up.set_defaults(handler=_lazy("gitbrag.runtime.stack:run_up"))

    demo = commands.add_parser("demo", help="the whole stack against the simulated GitHub")
    demo.add_argument("--host", default=None)
    demo.add_argument("--port", type=int, default=None)
    demo.set_defaults(handler=_lazy("gitbrag.runtime.stack:run_demo"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return cast(Handler, args.handler)(args)
    except KeyboardInterrupt:
        return 130
    except (ConfigError, ValidationError) as exc:
        # A setting is missing or invalid: say which, without a traceback.
        print(f"gitbrag: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
