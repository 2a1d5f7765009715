"""Highlights: sentences a person can paste into a review or a CV, built from the report alone.

No model, no network, nothing invented: every number is one the report holds (or a sum of
them), written for people (``2.1k``, ``1 pull request``/``2 pull requests``). A summary
paragraph (with the reviews given and issues opened, when the report has them), then one
bullet per pinned pull request (the author's curation), per notable repository (most merged
pull requests first, then most lines changed, then most stars) and for the repository with
the most reviews given.

Sentences are kept as parts so each output escapes only what users wrote: ``str`` parts are
gitbrag's own words; :class:`Part` is text from GitHub users (titles, repository names), shown
literally everywhere (HTML autoescaped by the templates, Markdown-escaped by
:func:`markdown`), optionally linked. ``Report.highlights`` holds the plain text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from gitbrag.render.escaping import escape_markdown
from gitbrag.report.counts import language_lines
from gitbrag.report.models import (
    Highlights,
    PullRequestOut,
    Report,
    RepositoryOut,
    ReviewedRepositoryOut,
)
from gitbrag.report.wording import (
    and_list,
    compact,
    count,
    human_date,
    lines_changed,
    number,
    percent,
)

NOTABLE_REPOSITORIES = 5
MOSTLY_PERCENT = 50.0  # "mostly Go" only when Go is at least half of the lines

ROLE_PHRASES = {
    "OWNER": "as its owner",
    "MEMBER": "as an organisation member",
    "COLLABORATOR": "as a collaborator",
    "CONTRIBUTOR": "as a contributor",
    "FIRST_TIME_CONTRIBUTOR": "as a first-time contributor",
    "FIRST_TIMER": "as a first-time contributor to GitHub",
}


@dataclass(frozen=True, slots=True)
class Part:
    """Text a GitHub user wrote (a title, a repository's name), maybe linked to ``url``."""

    text: str
    url: str | None = None
    quoted: bool = False  # a title: in quotation marks


Sentence = tuple[str | Part, ...]


@dataclass(frozen=True, slots=True)
class HighlightSentences:
    summary: tuple[Sentence, ...]
    bullets: tuple[Sentence, ...]

    def plain(self) -> Highlights:
        return Highlights(
            summary=" ".join(plain(sentence) for sentence in self.summary),
            bullets=[plain(bullet) for bullet in self.bullets],
        )

    def markdown_bullets(self) -> str:
        """The bullets as a Markdown list (what "Copy as bullets" copies)."""
        return "\n".join(f"- {markdown(bullet)}" for bullet in self.bullets)

    def markdown_summary(self) -> str:
        return " ".join(markdown(sentence) for sentence in self.summary)


def _quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


def plain(sentence: Sentence) -> str:
    return "".join(
        part if isinstance(part, str) else (_quoted(part.text) if part.quoted else part.text)
        for part in sentence
    )


def markdown_url(url: str | None) -> str | None:
    """``url`` safe inside ``[text](url)`` (http(s) only, parentheses and spaces encoded)."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%")


def markdown(sentence: Sentence) -> str:
    out = []
    for part in sentence:
        if isinstance(part, str):
            out.append(part)
            continue
        text = escape_markdown(part.text)
        url = markdown_url(part.url)
        shown = f"[{text}]({url})" if url else text
        out.append(_quoted(shown) if part.quoted else shown)
    return "".join(out)


# --------------------------------------------------------------------------- the summary


def _states(merged: int, open_: int, closed: int, total: int) -> str:
    if merged == total:
        return "merged" if total == 1 else "all merged"
    parts = []
    if merged:
        parts.append(f"{number(merged)} merged")
    if open_:
        parts.append(f"{number(open_)} still open")
    if closed:
        parts.append(f"{number(closed)} closed without merging")
    return and_list(parts)


def _language_phrase(shares: list[tuple[str, float]]) -> str:
    """ ", mostly Go (62.5%)" or ", chiefly in Go (40.0%), Python (30.0%) and C (10.0%)"."""
    if not shares:
        return ""
    name, share = shares[0]
    if share >= MOSTLY_PERCENT:
        return f", mostly {name} ({percent(share)})"
    top = [f"{n} ({percent(p)})" for n, p in shares[:3]]
    return ", chiefly in " + and_list(top)


def _summary(report: Report) -> tuple[Sentence, ...]:
    totals = report.totals
    who = "@" + report.user.login
    dates = f"between {human_date(report.since)} and {human_date(report.until)}"
    sentences: list[Sentence] = []
    if totals.pull_requests == 0:
        sentences.append((f"{who} opened no public pull requests {dates}.",))
    else:
        states = _states(totals.merged, totals.open, totals.closed, totals.pull_requests)
        sentences.append(
            (
                f"{who} authored {count(totals.pull_requests, 'pull request')} "
                f"({states}) in {count(totals.repositories, 'repository', 'repositories')} "
                f"{dates}.",
            )
        )
        shares = [(share.name, share.percent) for share in report.languages]
        sentences.append(
            (
                "They changed "
                f"{lines_changed(totals.additions, totals.deletions)} in "
                f"{count(totals.changed_files, 'file')}{_language_phrase(shares)}.",
            )
        )
        sentences.extend(_stars_sentence(report))
    sentences.extend(_activity_sentences(report))
    hidden = report.curation.hidden_pull_requests if report.curation else 0
    if hidden:
        sentences.append((f"The author hid {count(hidden, 'pull request')} from this report.",))
    return tuple(sentences)


def _activity_sentences(report: Report) -> list[Sentence]:
    """Reviews given and issues opened (reports that collected them)."""
    sentences: list[Sentence] = []
    reviews = report.reviews
    if reviews is not None and reviews.total:
        text = (
            f"They gave {count(reviews.total, 'review')} on "
            f"{count(reviews.pull_requests, 'pull request')} by others in "
            f"{count(reviews.repositories, 'repository', 'repositories')}"
        )
        if reviews.states.APPROVED:
            text += f", {number(reviews.states.APPROVED)} of them approving"
        sentences.append((text + ".",))
    issues = report.issues
    if issues is not None and issues.total:
        parts = [
            f"{number(value)} {label}"
            for value, label in (
                (issues.completed, "completed"),
                (issues.open, "still open"),
                (issues.not_planned, "closed as not planned"),
                (issues.closed_reason_unknown, "closed for an unknown reason"),
            )
            if value
        ]
        sentences.append(
            (
                f"They opened {count(issues.total, 'issue')} in "
                f"{count(issues.repositories, 'repository', 'repositories')} "
                f"({and_list(parts)}).",
            )
        )
    return sentences


def _stars_sentence(report: Report) -> list[Sentence]:
    stars = report.totals.stars_gained
    if stars == 0:
        return []
    one = report.totals.repositories == 1
    subject = "That repository" if one else "Those repositories"
    if report.period == "all_time":
        have = "has" if one else "have"
        return [(f"{subject} {have} {compact(stars)} {_stars_word(stars)} in total.",)]
    floor = "at least " if any(repo.stars_gained_capped for repo in report.repositories) else ""
    return [(f"{subject} gained {floor}{compact(stars)} {_stars_word(stars)} during the period.",)]


def _stars_word(value: int) -> str:
    return "star" if value == 1 else "stars"


# --------------------------------------------------------------------------- bullets


def _lines(pr: PullRequestOut) -> int:
    return pr.additions + pr.deletions


def _shares(prs: list[PullRequestOut]) -> list[tuple[str, float]]:
    """Languages of ``prs`` by lines changed, largest first, with their percentage."""
    lines = language_lines(prs)
    total = sum(lines.values())
    ordered = sorted(lines.items(), key=lambda item: (-item[1], item[0]))
    return [(name, 100 * value / total) for name, value in ordered if value > 0]


def _language_words(repo_shares: list[tuple[str, float]]) -> str:
    """ ", mostly TypeScript" or ", in TypeScript and Python" (no figures: a repository's
    shares are not in the report, only its pull requests' lines)."""
    if not repo_shares:
        return ""
    if repo_shares[0][1] >= MOSTLY_PERCENT:
        return f", mostly {repo_shares[0][0]}"
    return ", in " + and_list([name for name, _ in repo_shares[:2]])


def _stars_words(report: Report, repo: RepositoryOut) -> str:
    if repo.stars == 0 and repo.stars_gained == 0:
        return ""
    text = f" ({compact(repo.stars)} {_stars_word(repo.stars)}"
    if report.period != "all_time" and repo.stars_gained:
        floor = "at least " if repo.stars_gained_capped else ""
        text += f", {floor}+{compact(repo.stars_gained)} during the period"
    return text + ")"


def _role_words(repo: RepositoryOut) -> str:
    phrase = ROLE_PHRASES.get(repo.role.upper())
    return f" {phrase}" if phrase else ""


def _repo_part(repo: RepositoryOut) -> Part:
    return Part(repo.name_with_owner, repo.url)


def _pr_parts(pr: PullRequestOut) -> tuple[Part, str, Part]:
    return (Part(f"#{pr.number}", pr.url), " ", Part(pr.title, quoted=True))


def _single(report: Report, repo: RepositoryOut, pr: PullRequestOut) -> Sentence:
    """One pull request in a repository: what it was, where, how big."""
    verb, joiner, after = {
        "merged": ("Merged ", " into ", ""),
        "open": ("Opened ", " in ", ", still open"),
        "closed": ("Proposed ", " to ", ", closed without merging"),
    }[pr.state]
    languages = _language_words(_shares([pr]))
    return (
        verb,
        *_pr_parts(pr),
        joiner,
        _repo_part(repo),
        _stars_words(report, repo) + _role_words(repo) + after + ": ",
        f"{lines_changed(pr.additions, pr.deletions)} in {count(pr.changed_files, 'file')}"
        f"{languages}.",
    )


def repository_bullet(report: Report, repo: RepositoryOut) -> Sentence:
    prs = repo.pull_requests
    if len(prs) == 1:
        return _single(report, repo, prs[0])
    states = Counter(pr.state for pr in prs)
    merged = states["merged"]
    if merged:
        lead: tuple[str | Part, ...] = (
            f"Merged {count(merged, 'pull request')} into ",
            _repo_part(repo),
        )
    else:
        lead = (f"Opened {count(len(prs), 'pull request')} in ", _repo_part(repo))
    additions = sum(pr.additions for pr in prs)
    deletions = sum(pr.deletions for pr in prs)
    rest = []
    if merged and states["open"]:
        rest.append(f"; {number(states['open'])} more still open")
    elif not merged and states["open"] and states["closed"]:
        rest.append(f"; {number(states['open'])} still open")
    if merged and states["closed"]:
        rest.append(f"; {number(states['closed'])} more closed without merging")
    largest = max(prs, key=lambda pr: (_lines(pr), pr.created_at, pr.number))
    return (
        *lead,
        _stars_words(report, repo) + _role_words(repo) + ": ",
        lines_changed(additions, deletions)
        + _language_words(_shares(repo.pull_requests))
        + "".join(rest)
        + "; largest: ",
        *_pr_parts(largest),
        f" ({compact(_lines(largest))} {'line' if _lines(largest) == 1 else 'lines'}).",
    )


def notable_repositories(report: Report) -> list[RepositoryOut]:
    """Most merged pull requests first, then most lines changed, most stars, then by name."""

    def rank(repo: RepositoryOut) -> tuple[int, int, int, str]:
        merged = sum(1 for pr in repo.pull_requests if pr.state == "merged")
        lines = sum(_lines(pr) for pr in repo.pull_requests)
        return (-merged, -lines, -repo.stars, repo.name_with_owner.lower())

    return sorted(report.repositories, key=rank)[:NOTABLE_REPOSITORIES]


def most_reviewed(report: Report) -> ReviewedRepositoryOut | None:
    """The repository with the most reviews given (then the newest review, then name)."""
    if report.reviews is None or not report.reviews.by_repository:
        return None
    return min(
        report.reviews.by_repository,
        key=lambda r: (-r.reviews, -r.last_reviewed_at.timestamp(), r.name_with_owner.lower()),
    )


def pinned_pull_requests(report: Report) -> list[tuple[RepositoryOut, PullRequestOut]]:
    """The pins of the report's curation that are in this report, in the author's order."""
    if report.curation is None:
        return []
    found = {}
    for repo in report.repositories:
        for pr in repo.pull_requests:
            found[(repo.name_with_owner.lower(), pr.number)] = (repo, pr)
    return [
        found[(pin.name_with_owner.lower(), pin.number)]
        for pin in report.curation.pinned
        if (pin.name_with_owner.lower(), pin.number) in found
    ]


def highlight_sentences(report: Report) -> HighlightSentences:
    pinned = [_single(report, repo, pr) for repo, pr in pinned_pull_requests(report)]
    repos = [repository_bullet(report, repo) for repo in notable_repositories(report)]
    # A repository whose one pull request is pinned already has its bullet.
    bullets = pinned + [bullet for bullet in repos if bullet not in pinned]
    reviewed = most_reviewed(report)
    if reviewed is not None:
        bullets.append(
            (
                f"Reviewed {count(reviewed.pull_requests, 'pull request')} in ",
                Part(reviewed.name_with_owner, reviewed.url),
                f" ({count(reviewed.reviews, 'review')}).",
            )
        )
    return HighlightSentences(_summary(report), tuple(bullets))


def highlights(report: Report) -> Highlights:
    """The report's highlights as plain text (``Report.highlights``)."""
    return highlight_sentences(report).plain()
