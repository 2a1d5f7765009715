"""A report as a Markdown brag document, safe to paste anywhere.

Titles and descriptions come from GitHub users, so everything we did not write is escaped:
HTML stays text (``<script>`` shows as ``<script>``, never runs) and Markdown syntax in a title
cannot turn into links or emphasis.
"""

from __future__ import annotations

from gitbrag.render.escaping import escape_markdown as escape
from gitbrag.report.highlights import highlight_sentences
from gitbrag.report.models import (
    SIZE_LABELS,
    IssueOut,
    IssuesOut,
    Report,
    RepositoryOut,
    ReviewsOut,
)
from gitbrag.report.periods import PERIOD_LABELS
from gitbrag.report.records import REVIEW_STATES

STATE_LABELS = {"merged": "merged", "open": "open", "closed": "closed"}
REVIEW_STATE_LABELS = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "changes requested",
    "COMMENTED": "commented",
    "DISMISSED": "dismissed",
}
REASON_LABELS = {"completed": "completed", "not_planned": "not planned", "reopened": "reopened"}


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``plural(1, "pull request")`` → "1 pull request"; 2 → "2 pull requests"."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {many or word + 's'}"


def _bold_first(text: str) -> str:
    """The leading number in bold: "**2,400** reviews on ..."."""
    count, _, rest = text.partition(" ")
    return f"**{count}** {rest}"


def period_label(report: Report) -> str:
    base = f"{report.since} to {report.until}"
    if report.period in PERIOD_LABELS:
        return f"{PERIOD_LABELS[report.period]} ({base})"
    return base


def _role(role: str) -> str:
    return role.lower().replace("_", " ")


def _stars(repo: RepositoryOut) -> str:
    if repo.stars_gained_capped:
        return f"{number(repo.stars_gained)}+"
    return number(repo.stars_gained)


def reviews_summary(reviews: ReviewsOut) -> str:
    """ "2,400 reviews on 1,518 pull requests in 5 repositories (1,221 approved, ...)"."""
    text = (
        f"{plural(reviews.total, 'review')} on {plural(reviews.pull_requests, 'pull request')} "
        f"in {plural(reviews.repositories, 'repository', 'repositories')}"
    )
    states = reviews.states.model_dump()
    shown = [f"{number(states[s])} {REVIEW_STATE_LABELS[s]}" for s in REVIEW_STATES if states[s]]
    return text + (f" ({', '.join(shown)})" if shown else "")


def issues_summary(issues: IssuesOut) -> str:
    """ "12 issues (4 open, 6 completed, 2 not planned) in 3 repositories"; closed issues
    whose reason the server could not say: "…, 3 closed, reason unknown"."""
    parts = [f"{number(issues.open)} open", f"{number(issues.completed)} completed"]
    if issues.not_planned:
        parts.append(f"{number(issues.not_planned)} not planned")
    if issues.closed_reason_unknown:
        parts.append(f"{number(issues.closed_reason_unknown)} closed, reason unknown")
    text = plural(issues.total, "issue")
    if issues.total:
        text += f" ({', '.join(parts)}) in " + plural(
            issues.repositories, "repository", "repositories"
        )
    return text


def issue_state(issue: IssueOut) -> str:
    """ "open", "open (reopened)", "closed (not planned)", "closed (reason unknown)"..."""
    if issue.state == "closed" and not issue.state_reason_known:
        return "closed (reason unknown)"
    if issue.state_reason is None or (issue.state == "closed" and issue.state_reason == "reopened"):
        return issue.state
    return f"{issue.state} ({REASON_LABELS[issue.state_reason]})"


def _reviews_section(reviews: ReviewsOut) -> list[str]:
    lines = ["## Reviews given", "", reviews_summary(reviews) + ".", ""]
    for repo in reviews.by_repository:
        lines.append(
            f"- [{escape(repo.name_with_owner)}]({repo.url}): "
            f"{plural(repo.reviews, 'review')} on {plural(repo.pull_requests, 'pull request')}"
            f", last {repo.last_reviewed_at.date().isoformat()}"
        )
    return lines + ([""] if reviews.by_repository else [])


def _issues_section(issues: IssuesOut) -> list[str]:
    lines = ["## Issues opened", "", issues_summary(issues) + ".", ""]
    for repo in issues.by_repository:
        lines += [f"### [{escape(repo.name_with_owner)}]({repo.url})", ""]
        lines += [
            f"- [#{issue.number}]({issue.url}) {escape(issue.title)} — {issue_state(issue)}, "
            f"{issue.created_at.date().isoformat()}"
            for issue in repo.issues
        ]
        lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    user = report.user
    display = escape(user.name or user.login)
    totals = report.totals
    lines = [
        f"# {display}'s open-source contributions",
        "",
        f"[@{escape(user.login)}]({user.html_url}) · {period_label(report)}",
        "",
    ]
    if user.bio:
        lines += [f"> {escape(user.bio)}", ""]
    sentences = highlight_sentences(report)
    lines += ["## Highlights", "", sentences.markdown_summary(), ""]
    if sentences.bullets:
        lines += [sentences.markdown_bullets(), ""]
    hidden = report.curation.hidden_pull_requests if report.curation else 0
    lines += [
        "## In numbers",
        "",
        f"- **{number(totals.pull_requests)}** "
        + ("pull request" if totals.pull_requests == 1 else "pull requests")
        + " "
        f"({number(totals.merged)} merged, {number(totals.open)} open"
        + (f", {number(totals.closed)} closed" if report.include_closed else "")
        + f") across **{number(totals.repositories)}** "
        + ("repository" if totals.repositories == 1 else "repositories")
        + (f" ({number(hidden)} hidden by the author)" if hidden else ""),
        f"- **+{number(totals.additions)} / -{number(totals.deletions)}** lines in "
        f"{number(totals.changed_files)} changed files",
        f"- **{number(totals.stars_gained)}** stars gained by those repositories"
        + (" (all-time stars)" if report.period == "all_time" else " in the period"),
    ]
    if report.roles:
        roles = ", ".join(
            f"{role.lower().replace('_', ' ')}: {n}" for role, n in report.roles.items()
        )
        lines.append(f"- Roles: {roles}")
    if report.languages:
        top = ", ".join(f"{escape(lang.name)} {lang.percent:.1f}%" for lang in report.languages[:8])
        lines.append(f"- Languages by lines changed: {top}")
    if report.reviews is not None:
        lines.append(f"- Reviews given: {_bold_first(reviews_summary(report.reviews))}")
    if report.issues is not None:
        lines.append(f"- Issues opened: {_bold_first(issues_summary(report.issues))}")
    lines.append("")
    if not report.complete:
        lines += [
            "> Note: this report is incomplete: " + "; ".join(report.incomplete_reasons),
            "",
        ]
    if not report.repositories:
        lines += ["No pull requests in this period.", ""]
    for repo in report.repositories:
        lines += [
            f"## [{escape(repo.name_with_owner)}]({repo.url})",
            "",
            f"{_role(repo.role)} · {number(repo.stars)} stars"
            f" · +{_stars(repo)} in the period · {plural(len(repo.pull_requests), 'pull request')}",
            "",
        ]
        if repo.description:
            lines += [f"_{escape(repo.description)}_", ""]
        for pr in repo.pull_requests:
            lines.append(
                f"- [#{pr.number}]({pr.url}) {escape(pr.title)} — {STATE_LABELS[pr.state]}, "
                f"{SIZE_LABELS[pr.size].lower()} (+{number(pr.additions)}/-{number(pr.deletions)}),"
                f" {pr.created_at.date().isoformat()}"
            )
        lines.append("")
    if report.reviews is not None and report.reviews.total:
        lines += _reviews_section(report.reviews)
    if report.issues is not None and report.issues.total:
        lines += _issues_section(report.issues)
    lines.append(f"_Generated by gitbrag on {report.generated_at.date().isoformat()}._")
    return "\n".join(lines) + "\n"
