"""A report for the terminal: a summary panel and one table of pull requests (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gitbrag.models import Report
from gitbrag.render.markdown import SIZE_LABELS, period_label

_STATE_STYLES = {"merged": "magenta", "open": "green", "closed": "red"}


def summary(report: Report) -> Panel:
    totals = report.totals
    lines = [
        Text.assemble(("@" + report.user.login, "bold"), f"  {period_label(report)}"),
        Text(
            f"{totals.pull_requests:,} pull requests: {totals.merged:,} merged, "
            f"{totals.open:,} open, {totals.closed:,} closed · "
            f"{totals.repositories:,} repositories"
        ),
        Text(
            f"+{totals.additions:,} / -{totals.deletions:,} lines · "
            f"{totals.changed_files:,} files · {totals.stars_gained:,} stars gained"
        ),
    ]
    if report.languages:
        lines.append(
            Text(
                "Languages: "
                + ", ".join(f"{lang.name} {lang.percent:.1f}%" for lang in report.languages[:6])
            )
        )
    if report.roles:
        lines.append(
            Text("Roles: " + ", ".join(f"{role}: {n}" for role, n in report.roles.items()))
        )
    if not report.complete:
        lines.append(Text("Incomplete: " + "; ".join(report.incomplete_reasons), style="yellow"))
    return Panel(Group(*lines), title="gitbrag", expand=False)


def pull_request_table(report: Report) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for column in ("Repository", "PR", "Title", "Size", "State", "Created", "Merged"):
        table.add_column(column, overflow="fold", no_wrap=column in ("PR", "Created", "Merged"))
    for repo in report.repositories:
        for pr in repo.pull_requests:
            table.add_row(
                repo.name_with_owner,
                f"#{pr.number}",
                Text(pr.title),  # Text, not markup: titles are user input
                SIZE_LABELS[pr.size],
                Text(pr.state, style=_STATE_STYLES[pr.state]),
                pr.created_at.date().isoformat(),
                pr.merged_at.date().isoformat() if pr.merged_at else "",
            )
    return table


def print_report(report: Report, console: Console) -> None:
    console.print(summary(report))
    if report.totals.pull_requests:
        console.print(pull_request_table(report))
    else:
        console.print("No pull requests in this period.")
