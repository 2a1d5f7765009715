"""Logging in again over a live session: what becomes of what the old session asked for.

Nothing is cancelled for the same GitHub account: its jobs carry on with the new session's
credential. Another account's leave as at a logout (jobs someone else joined continue with
theirs). The same account is the same account id, since a login can change hands; for a
session from before account ids, the same login.
"""

from __future__ import annotations


def same_account(
    *, old_account_id: int | None, old_login: str, new_account_id: int, new_login: str
) -> bool:
    """Whether the old session (``old_account_id``, ``old_login``) and the new login are the
    same GitHub account, so the old session's jobs carry on with the new credential."""
    if old_account_id is not None:
        return old_account_id == new_account_id
    return old_login.lower() == new_login.lower()
