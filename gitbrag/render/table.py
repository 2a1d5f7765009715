"""A report for the terminal: a summary panel, one table of pull requests per repository,
then reviews given per repository and issues opened (rich)."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gitbrag.render.markdown import (
    issue_state,
    issues_summary,
    period_label,
    plural,
    reviews_summary,
)
from gitbrag.report.models import SIZE_LABELS, IssueRepositoryOut, Report, RepositoryOut, ReviewsOut

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
    if report.reviews is not None:
        lines.append(Text("Reviews given: " + reviews_summary(report.reviews)))
    if report.issues is not None:
        lines.append(Text("Issues opened: " + issues_summary(report.issues)))
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


def reviews_table(reviews: ReviewsOut) -> Table:
    table = Table(title="Reviews given", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Repository", ratio=1, overflow="fold")
    for column in ("Reviews", "Pull requests"):
        table.add_column(column, no_wrap=True, justify="right")
    table.add_column("Last", no_wrap=True)
    for repo in reviews.by_repository:
        table.add_row(
            Text(repo.name_with_owner),
            f"{repo.reviews:,}",
            f"{repo.pull_requests:,}",
            repo.last_reviewed_at.date().isoformat(),
        )
    return table


def issues_table(issues: IssueRepositoryOut) -> Table:
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Issue", no_wrap=True, justify="right")
    table.add_column("Title", ratio=1, overflow="fold")
    table.add_column("State", no_wrap=True)
    table.add_column("Opened", no_wrap=True)
    for issue in issues.issues:
        table.add_row(
            f"#{issue.number}",
            Text(issue.title),  # user input, never markup
            Text(issue_state(issue), style="green" if issue.state == "open" else "magenta"),
            issue.created_at.date().isoformat(),
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
    if report.reviews is not None and report.reviews.total:
        console.print()
        console.print(reviews_table(report.reviews))
    if report.issues is not None and report.issues.total:
        console.print()
        console.print(Text("Issues opened", style="bold"))
        for held in report.issues.by_repository:
            count = plural(len(held.issues), "issue")
            console.print(Text.assemble((held.name_with_owner, "bold cyan"), f"  {count}"))
            console.print(issues_table(held))
