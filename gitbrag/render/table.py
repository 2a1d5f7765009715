"""A report for the terminal: a summary panel and one table of pull requests (rich)."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gitbrag.models import SIZE_LABELS, Report, RepositoryOut
from gitbrag.render.markdown import period_label, plural

_STATE_STYLES = {"merged": "magenta", "open": "green", "closed": "red"}


def summary(report: Report) -> Panel:
    totals = report.totals
    lines = [
        Text.assemble(("@" + report.user.login, "bold"), f"  {period_label(report)}"),
        Text(
            f"{plural(totals.pull_requests, 'pull request')}: {totals.merged:,} merged, "
            f"{totals.open:,} open, {totals.closed:,} closed · "
            f"{plural(totals.repositories, 'repository', 'repositories')}"
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


def repository_heading(repo: RepositoryOut) -> Text:
    stars = f"+{repo.stars_gained:,}{'+' if repo.stars_gained_capped else ''} stars"
    return Text.assemble(
        (repo.name_with_owner, "bold cyan"),
        f"  {repo.role.lower().replace('_', ' ')} · {repo.stars:,} stars ({stars})"
        f" · {plural(len(repo.pull_requests), 'pull request')}",
    )


def pull_request_table(repo: RepositoryOut) -> Table:
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("PR", no_wrap=True, justify="right")
    table.add_column("Title", ratio=1, overflow="fold")
    for column in ("Size", "State", "Created", "Merged"):
        table.add_column(column, no_wrap=True)
    for pr in repo.pull_requests:
        table.add_row(
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
    for repo in report.repositories:
        console.print()
        console.print(repository_heading(repo))
        console.print(pull_request_table(repo))
    if not report.repositories:
        console.print("No pull requests in this period.")
