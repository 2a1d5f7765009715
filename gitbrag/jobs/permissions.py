"""Who may change a report's jobs: pure rules on plain values, asked by every surface that
offers the change (the pages' buttons and the API alike).

- Cancelling a job: the viewer who started it (their ``viewer_id``: one browser session or
  bearer token), or an admin (``GITBRAG_ADMIN_LOGINS``, by GitHub account).
- Refreshing a report now (a forced refresh): whoever has a credential to generate with (a
  logged-in viewer, or anyone while anonymous generation runs on the server token); the
  hourly quota is counted when a new job is needed (``web.flow.force_refresh``).
"""

from __future__ import annotations


def may_cancel(
    job_viewer_id: str | None, *, viewer_id: str | None, logged_in: bool, admin: bool
) -> bool:
    """Whether the viewer ``viewer_id`` may cancel a job started by ``job_viewer_id``."""
    started_it = job_viewer_id is not None and job_viewer_id == viewer_id
    return started_it or (logged_in and admin)


def may_refresh(*, has_credential: bool) -> bool:
    """Whether a viewer may force a report's regeneration (else they must log in first)."""
    return has_credential
