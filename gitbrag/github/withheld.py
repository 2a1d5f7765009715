"""What GitHub withholds from a token for good, named in the report's incomplete reasons.

A part GitHub refuses this token (:class:`~gitbrag.github.responses.Denial`) is read again
with the fallback client where there is one; what is still missing is named, never dropped
in silence, so such a report is never ``complete``. The wording (the integration tests and
the table test match it):

- SAML single sign-on, the organisation known (``X-GitHub-SSO``'s URL, or the owner of the
  repository asked for): ``"<subject>: the organisation <org> enforces SAML single sign-on
  and the token has no SSO session for it; authorise the token at <url>"`` (the URL only
  when GitHub gave one for that organisation), e.g. ``"3 pull requests: the organisation
  sso-corp enforces …"``, ``"stars for sso-corp/tool: the organisation sso-corp …"``;
- SAML, no organisation named: ``"<subject>: an organisation enforcing SAML single sign-on
  (GitHub did not say which) hides them from the token"``;
- a permission the token lacks: ``"<subject>: the token cannot read <what> (<GitHub's
  message>)"``, e.g. ``"stars for o/r: the token cannot read stargazers (Resource not
  accessible by personal access token)"``, ``"reviews given: the token cannot read
  contributions (Resource not accessible by integration)"``;
- any other ``FORBIDDEN``: ``"<subject>: GitHub refused the token (<message>)"``.

Search counts (``<n> pull requests``, ``<n> issues``) are GitHub's ``issueCount`` minus the
nodes read, one reason per organisation named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from gitbrag.github.responses import Denial

#: What a refused field holds, in the reason's words.
READABLE_FIELDS: Final[dict[str, str]] = {
    "contributionsCollection": "contributions",
    "stargazers": "stargazers",
    "files": "changed files",
    "search": "search",
    "reviews": "reviews",
    "pullRequest": "pull requests",
    "repository": "repositories",
    "social_accounts": "social accounts",
}


def _what(denial: Denial) -> str:
    field = denial.field or "this"
    return READABLE_FIELDS.get(field, field)


def explain(denial: Denial, owner: str | None = None) -> str:
    """Why GitHub withholds it, and how to fix it where GitHub said (see the module
    docstring). ``owner``: the organisation the part belongs to, when the caller knows."""
    if denial.kind == "saml":
        organization = owner or denial.organization  # the owner asked for is certain
        if organization is None:
            return (
                "an organisation enforcing SAML single sign-on (GitHub did not say which) "
                "hides them from the token"
            )
        same = denial.organization is None or owner is None
        url = denial.url if same or denial.organization == owner else None
        text = (
            f"the organisation {organization} enforces SAML single sign-on and the token has "
            "no SSO session for it"
        )
        return text + (f"; authorise the token at {url}" if url else "")
    if denial.kind == "token":
        return f"the token cannot read {_what(denial)} ({denial.message})"
    return f"GitHub refused the token ({denial.message})"


def reason(subject: str, denial: Denial, owner: str | None = None) -> str:
    """``"<subject>: <why>"``."""
    return f"{subject}: {explain(denial, owner)}"


SINGULAR: Final = {
    "pull requests": "pull request",
    "issues": "issue",
    "pull requests reviewed": "pull request reviewed",
}


def singular(noun: str) -> str:
    """One of ``noun`` (the nouns withheld items are counted in)."""
    return SINGULAR.get(noun, noun)


def _key(denial: Denial) -> Denial:
    """Denials that read the same in a reason (the path aside)."""
    return Denial((), denial.kind, denial.message, denial.organization, denial.url)


class Withheld:
    """Counts of items (by noun) withheld for the same reason, across windows or pages."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, Denial]] = Counter()

    def add(self, noun: str, withheld: Iterable[Denial], missing: int) -> int:
        """Count ``missing`` items of ``noun`` against ``withheld`` (one denial per null
        node, grouped by organisation and reason; at most one item per denial). Returns how
        many of ``missing`` were counted."""
        groups = Counter(_key(denial) for denial in withheld)
        left = max(0, missing)
        for key, count in groups.most_common():
            taken = min(count, left)
            if taken:
                self._counts[(noun, key)] += taken
            left -= taken
        return max(0, missing) - left

    def reasons(self) -> list[str]:
        """One reason per noun and reason, largest first."""
        return [
            reason(f"{count:,} {singular(noun) if count == 1 else noun}", denial)
            for (noun, denial), count in self._counts.most_common()
        ]

    def __bool__(self) -> bool:
        return bool(self._counts)
