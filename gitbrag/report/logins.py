"""GitHub logins: which strings can name a GitHub account."""

from __future__ import annotations

import re

from gitbrag.errors import InvalidInput

# Logins GitHub has: 1-39 letters, digits, hyphens and underscores. New personal accounts
# may not begin or end with a hyphen or hold two in a row, but legacy accounts from before
# that rule do (``artur-``, ``gil--dev``, ``-jerry-``; shinnn/github-username-regex#4) and
# still work; Enterprise Managed Users are ``handle_shortcode`` (docs "Username
# considerations for external authentication"). At least one letter or digit: nothing GitHub
# issues is punctuation alone. ASCII only (``re.ASCII``: ``\w`` would take any script).
_USERNAME = re.compile(r"(?=[-_]*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}", re.ASCII)


def validate_username(username: str) -> str:
    """Return ``username`` unchanged if it can be a GitHub login, else raise InvalidInput."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "not a valid GitHub username: 1-39 letters, digits, hyphens or underscores"
        )
    return username
