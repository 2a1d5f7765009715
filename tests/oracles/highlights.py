"""An independent reading of a report's highlights: every sentence parsed back with regular
expressions written from the wording rules, every number compared with the report's own
figures (from its JSON, recomputed here with plain loops), grammar checked for one and many.

Nothing here calls ``gitbrag.report.highlights`` or its formatting helpers: a wrong number, a
made-up figure or "1 pull requests" cannot hide by being computed the same way twice.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ROLES = {
    "OWNER": " as its owner",
    "MEMBER": " as an organisation member",
    "COLLABORATOR": " as a collaborator",
    "CONTRIBUTOR": " as a contributor",
    "FIRST_TIME_CONTRIBUTOR": " as a first-time contributor",
    "FIRST_TIMER": " as a first-time contributor to GitHub",
}
NUMBER = r"[\d,]+(?:\.\d)?[kMB]?"
NOUNS = re.compile(
    r"(?<![\w.#/\u2212+])("
    + NUMBER
    + r") (pull requests?|repositor(?:y|ies)|files?|lines?|stars?)\b"
)


def day(iso: str) -> str:
    moment = date.fromisoformat(iso[:10])
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def shown_as(text: str, actual: int) -> None:
    """``text`` ("1,234", "12.3k", "2.5M") is how ``actual`` reads: exact below 10,000,
    else rounded to a tenth of a thousand (or million)."""
    if text[-1] in "kMB":
        scale = {"k": 1_000, "M": 1_000_000, "B": 1_000_000_000}[text[-1]]
        value = float(text[:-1].replace(",", ""))
        assert actual >= 10_000, (text, actual)
        assert abs(actual / scale - value) <= 0.05 + 1e-9, (text, actual)
        if scale == 1_000:
            assert value < 1000, (text, actual)
    else:
        assert "." not in text, (text, actual)
        assert int(text.replace(",", "")) == actual, (text, actual)
        assert text == f"{actual:,}", (text, actual)  # thousands separators where due


def without_titles(text: str, report: dict[str, Any]) -> str:
    """``text`` with the report's quoted titles taken out (users write numbers in them)."""
    titles = {p["title"] for r in report["repositories"] for p in r["pull_requests"]}
    for title in sorted(titles, key=len, reverse=True):
        text = text.replace(f"\u201c{title}\u201d", "\u201c\u201d")
    return text


def check_grammar(text: str) -> None:
    for found in NOUNS.finditer(text):
        value, noun = found.groups()
        singular = not (noun.endswith("s") or noun.endswith("ies"))
        if noun in ("pull requests", "repositories", "files", "lines", "stars"):
            singular = False
        if noun in ("pull request", "repository", "file", "line", "star"):
            singular = True
        assert singular == (value == "1"), f"grammar: {found.group(0)!r} in {text!r}"


def _shares(lines: Counter[str]) -> list[tuple[str, float]]:
    total = sum(lines.values())
    ordered = sorted(lines.items(), key=lambda item: (-item[1], item[0]))
    return [(name, 100 * value / total) for name, value in ordered if value > 0]


def _check_languages(mostly: str | None, listed: str | None, lines: Counter[str]) -> None:
    shares = _shares(lines)
    if not shares:
        assert mostly is None and listed is None
        return
    if shares[0][1] >= 50:
        assert mostly == shares[0][0] and listed is None, (mostly, listed, shares)
    else:
        names = [name for name, _ in shares[:2]]
        expected = " and ".join(names) if len(names) == 2 else names[0]
        assert listed == expected and mostly is None, (mostly, listed, shares)


def _check_stars(report: dict[str, Any], repo: dict[str, Any], match: re.Match[str]) -> None:
    stars, gained, floor = match.group("stars"), match.group("gained"), match.group("floor")
    if repo["stars"] == 0 and repo["stars_gained"] == 0:
        assert stars is None
        return
    assert stars is not None
    shown_as(stars, repo["stars"])
    if report["period"] == "all_time" or not repo["stars_gained"]:
        assert gained is None
        return
    assert gained is not None
    shown_as(gained, repo["stars_gained"])
    assert bool(floor) == repo["stars_gained_capped"]


def _lines(prs: list[dict[str, Any]]) -> tuple[int, int]:
    return sum(p["additions"] for p in prs), sum(p["deletions"] for p in prs)


STARS = r"(?: \((?P<stars>" + NUMBER + r") stars?(?:, (?P<floor>at least )?\+(?P<gained>"
STARS += NUMBER + r") during the period)?\))?"
LINES = r"\+(?P<add>" + NUMBER + r")/\u2212(?P<del>" + NUMBER + r") lines"
LANGS = r"(?:, mostly (?P<mostly>[^;.]+?)|, in (?P<listed>[^;]+?))?"


def check_pull_request_bullet(
    bullet: str, report: dict[str, Any], repo: dict[str, Any], pr: dict[str, Any]
) -> bool:
    """``bullet`` is the one-pull-request sentence for ``pr``: False if it is not about it."""
    verb, joiner, after = {
        "merged": ("Merged", "into", ""),
        "open": ("Opened", "in", ", still open"),
        "closed": ("Proposed", "to", ", closed without merging"),
    }[pr["state"]]
    head = f"{verb} #{pr['number']} \u201c{pr['title']}\u201d {joiner} {repo['name_with_owner']}"
    if not bullet.startswith(head):
        return False
    pattern = (
        re.escape(head)
        + STARS
        + re.escape(ROLES.get(repo["role"], ""))
        + re.escape(after)
        + ": "
        + LINES
        + r" in (?P<files>[\d,]+) files?"
        + LANGS
        + r"\.$"
    )
    match = re.match(pattern, bullet)
    assert match, f"not the wording of a pull request bullet: {bullet!r}"
    _check_stars(report, repo, match)
    shown_as(match.group("add"), pr["additions"])
    shown_as(match.group("del"), pr["deletions"])
    shown_as(match.group("files"), pr["changed_files"])
    _check_languages(match.group("mostly"), match.group("listed"), Counter(pr["languages"]))
    return True


def check_repository_bullet(bullet: str, report: dict[str, Any], repo: dict[str, Any]) -> None:
    prs = repo["pull_requests"]
    states = Counter(p["state"] for p in prs)
    name = re.escape(repo["name_with_owner"])
    if states["merged"]:
        head = rf"Merged (?P<count>[\d,]+) pull requests? into {name}"
    else:
        head = rf"Opened (?P<count>[\d,]+) pull requests? in {name}"
    pattern = (
        "^"
        + head
        + STARS
        + re.escape(ROLES.get(repo["role"], ""))
        + ": "
        + LINES
        + LANGS
        + r"(?:; (?P<more_open>[\d,]+) more still open)?"
        + r"(?:; (?P<still_open>[\d,]+) still open)?"
        + r"(?:; (?P<more_closed>[\d,]+) more closed without merging)?"
        + r"; largest: #(?P<number>\d+) \u201c(?P<title>.*)\u201d \((?P<lines>"
        + NUMBER
        + r") lines?\)\.$"
    )
    match = re.match(pattern, bullet)
    assert match, f"not the wording of a repository bullet: {bullet!r}"
    shown_as(match.group("count"), states["merged"] or len(prs))
    _check_stars(report, repo, match)
    additions, deletions = _lines(prs)
    shown_as(match.group("add"), additions)
    shown_as(match.group("del"), deletions)
    lines: Counter[str] = Counter()
    for pr in prs:
        lines.update(pr["languages"])
    _check_languages(match.group("mostly"), match.group("listed"), lines)
    more_open, still_open = match.group("more_open"), match.group("still_open")
    more_closed = match.group("more_closed")
    if states["merged"]:
        assert (int(more_open) if more_open else 0) == states["open"]
        assert (int(more_closed) if more_closed else 0) == states["closed"]
        assert still_open is None
    else:
        assert more_open is None and more_closed is None
        expected_still = states["open"] if states["open"] and states["closed"] else 0
        assert (int(still_open) if still_open else 0) == expected_still
    largest = max(
        prs, key=lambda p: (p["additions"] + p["deletions"], p["created_at"], p["number"])
    )
    assert int(match.group("number")) == largest["number"]
    assert match.group("title") == largest["title"]
    shown_as(match.group("lines"), largest["additions"] + largest["deletions"])


def notable(report: dict[str, Any]) -> list[dict[str, Any]]:
    def rank(repo: dict[str, Any]) -> tuple[int, int, int, str]:
        merged = sum(1 for p in repo["pull_requests"] if p["state"] == "merged")
        lines = sum(p["additions"] + p["deletions"] for p in repo["pull_requests"])
        return (-merged, -lines, -repo["stars"], repo["name_with_owner"].lower())

    return sorted(report["repositories"], key=rank)[:5]


def check_summary(report: dict[str, Any]) -> None:
    summary = report["highlights"]["summary"]
    check_grammar(summary)
    totals = report["totals"]
    login = report["user"]["login"]
    dates = f"between {day(report['since'])} and {day(report['until'])}"
    rest = summary
    if totals["pull_requests"] == 0:
        sentence = f"@{login} opened no public pull requests {dates}."
        assert rest.startswith(sentence), summary
        rest = rest[len(sentence) :].strip()
    else:
        first = re.match(
            rf"^@{re.escape(login)} authored (?P<prs>[\d,]+) pull requests? \((?P<states>[^)]*)\)"
            rf" in (?P<repos>[\d,]+) repositor(?:y|ies) {re.escape(dates)}\. ",
            rest,
        )
        assert first, summary
        shown_as(first.group("prs"), totals["pull_requests"])
        shown_as(first.group("repos"), totals["repositories"])
        _check_states(first.group("states"), totals)
        rest = rest[first.end() :]
        second = re.match(
            r"They changed " + LINES + r" in (?P<files>[\d,]+) files?"
            r"(?:, mostly (?P<mostly>.+?) \((?P<percent>[\d.]+)%\)|, chiefly in (?P<list>.+?))?"
            r"\.(?=\s|$)",
            rest,
        )
        assert second, summary
        shown_as(second.group("add"), totals["additions"])
        shown_as(second.group("del"), totals["deletions"])
        shown_as(second.group("files"), totals["changed_files"])
        languages = report["languages"]
        if not languages:
            assert second.group("mostly") is None and second.group("list") is None
        elif languages[0]["percent"] >= 50:
            assert second.group("mostly") == languages[0]["name"]
            assert float(second.group("percent")) == languages[0]["percent"]
        else:
            shown = [f"{share['name']} ({share['percent']:.1f}%)" for share in languages[:3]]
            expected = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
            assert second.group("list") == expected, summary
        rest = rest[second.end() :].strip()
        stars = totals["stars_gained"]
        if stars:
            one = totals["repositories"] == 1
            subject = "That repository" if one else "Those repositories"
            if report["period"] == "all_time":
                have = "has" if one else "have"
                third = re.match(
                    subject + f" {have} " + r"(?P<n>" + NUMBER + r") stars? in total\.", rest
                )
            else:
                third = re.match(
                    subject
                    + r" gained (?P<floor>at least )?(?P<n>"
                    + NUMBER
                    + r") stars? during the period\.",
                    rest,
                )
            assert third, summary
            shown_as(third.group("n"), stars)
            if report["period"] != "all_time":
                capped = any(r["stars_gained_capped"] for r in report["repositories"])
                assert bool(third.group("floor")) == capped
            rest = rest[third.end() :].strip()
    rest = _check_activity(report, rest)
    hidden = (report.get("curation") or {}).get("hidden_pull_requests", 0)
    if hidden:
        last = re.match(r"The author hid (?P<n>[\d,]+) pull requests? from this report\.", rest)
        assert last, summary
        shown_as(last.group("n"), hidden)
        rest = rest[last.end() :].strip()
    assert rest == "", f"unexplained text in the summary: {rest!r}"


def _check_activity(report: dict[str, Any], rest: str) -> str:
    """The reviews-given and issues-opened sentences (when the report has them)."""
    reviews = report.get("reviews")
    if reviews and reviews["total"]:
        found = re.match(
            r"They gave (?P<total>[\d,]+) reviews? on (?P<prs>[\d,]+) pull requests? by others "
            r"in (?P<repos>[\d,]+) repositor(?:y|ies)(?:, (?P<approved>[\d,]+) of them approving)?"
            r"\.",
            rest,
        )
        assert found, rest
        shown_as(found.group("total"), reviews["total"])
        shown_as(found.group("prs"), reviews["pull_requests"])
        shown_as(found.group("repos"), reviews["repositories"])
        approved = reviews["states"]["APPROVED"]
        if approved:
            shown_as(found.group("approved"), approved)
        else:
            assert found.group("approved") is None
        rest = rest[found.end() :].strip()
    issues = report.get("issues")
    if issues and issues["total"]:
        found = re.match(
            r"They opened (?P<total>[\d,]+) issues? in (?P<repos>[\d,]+) repositor(?:y|ies) "
            r"\((?P<parts>[^)]*)\)\.",
            rest,
        )
        assert found, rest
        shown_as(found.group("total"), issues["total"])
        shown_as(found.group("repos"), issues["repositories"])
        parts = {}
        for part in re.split(r", | and ", found.group("parts")):
            value, _, what = part.partition(" ")
            parts[what] = int(value.replace(",", ""))
        expected = {
            "completed": issues["completed"],
            "still open": issues["open"],
            "closed as not planned": issues["not_planned"],
            "closed for an unknown reason": issues.get("closed_reason_unknown", 0),
        }
        assert parts == {what: n for what, n in expected.items() if n}, found.group(0)
        rest = rest[found.end() :].strip()
    return rest


def _check_states(text: str, totals: dict[str, int]) -> None:
    if totals["merged"] == totals["pull_requests"]:
        assert text == ("merged" if totals["pull_requests"] == 1 else "all merged"), text
        return
    found = {}
    for part in re.split(r", | and ", text):
        value, _, what = part.partition(" ")
        found[what] = int(value.replace(",", ""))
    expected = {
        "merged": totals["merged"],
        "still open": totals["open"],
        "closed without merging": totals["closed"],
    }
    assert found == {what: n for what, n in expected.items() if n}, (text, totals)


def check_highlights(report: dict[str, Any]) -> None:
    """The report's highlights (its JSON, as served) against its own figures."""
    check_summary(report)
    bullets = list(report["highlights"]["bullets"])
    for bullet in bullets:
        check_grammar(without_titles(bullet, report))
    by_name = {repo["name_with_owner"].lower(): repo for repo in report["repositories"]}
    pinned = (report.get("curation") or {}).get("pinned", [])
    for pin in pinned:
        repo = by_name[pin["name_with_owner"].lower()]
        pr = next(p for p in repo["pull_requests"] if p["number"] == pin["number"])
        assert check_pull_request_bullet(bullets.pop(0), report, repo, pr)
    expected = notable(report)
    pinned_refs = {(p["name_with_owner"].lower(), p["number"]) for p in pinned}
    for repo in expected:
        prs = repo["pull_requests"]
        if len(prs) == 1:
            if (repo["name_with_owner"].lower(), prs[0]["number"]) in pinned_refs:
                continue  # its one pull request is pinned: said once, above
            assert check_pull_request_bullet(bullets.pop(0), report, repo, prs[0])
        else:
            check_repository_bullet(bullets.pop(0), report, repo)
    reviews = report.get("reviews")
    if reviews and reviews["by_repository"]:
        top = sorted(
            reviews["by_repository"],
            key=lambda r: (-r["reviews"], r["last_reviewed_at"], r["name_with_owner"].lower()),
        )
        # Most reviews first; among equals the newest review (ISO strings sort by time).
        most = max(r["reviews"] for r in top)
        tied = [r for r in top if r["reviews"] == most]
        newest = max(r["last_reviewed_at"] for r in tied)
        repo = min(
            (r for r in tied if r["last_reviewed_at"] == newest),
            key=lambda r: r["name_with_owner"].lower(),
        )
        found = re.fullmatch(
            r"Reviewed (?P<prs>[\d,]+) pull requests? in "
            + re.escape(repo["name_with_owner"])
            + r" \((?P<reviews>[\d,]+) reviews?\)\.",
            bullets.pop(0),
        )
        assert found, repo
        shown_as(found.group("prs"), repo["pull_requests"])
        shown_as(found.group("reviews"), repo["reviews"])
    assert bullets == [], f"bullets about nothing in the report: {bullets}"
