"""Jobs as the API, the SSE stream and the progress panel show them: the API's job object, the
progress bar's ``percent`` and ``message``, phase and status words, and why GitHub has no report
for a login (no such user, an organisation, a private profile)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gitbrag.jobs.service import Job, Progress
from web.presenters.formatting import duration_words, iso_utc, progress_percent

PHASE_LABELS: dict[str, str] = {
    "queued": "Waiting for a worker",
    "profile": "Loading profile",
    "search": "Searching pull requests",
    "activity": "Counting reviews and issues",
    "files": "Reading changed files",
    "stars": "Counting stars",
    "build": "Building report",
}

STATUS_HEADLINES: dict[str, str] = {
    "queued": "Waiting for a worker",
    "running": "Collecting from GitHub",
    "waiting_rate_limit": "Paused by GitHub's rate limit",
    "done": "Report ready",
    "failed": "Generation failed",
    "cancelled": "Generation cancelled",
    "not_found": "No such GitHub user",
}

NOT_FOUND_TITLES: dict[str, str] = {
    "no_user": "No such GitHub user",
    "organization": "This is an organisation",
    "private_profile": "This profile's activity is private",
}


def not_found_message(reason: str | None, username: str) -> str:
    """Why there is no report for ``username`` (``reason`` from the not-found cache)."""
    if reason == "organization":
        return (
            f"{username} is a GitHub organisation, not a person. gitbrag reports the pull "
            "requests a person authored: try the login of one of its members."
        )
    if reason == "private_profile":
        return (
            f"{username}'s activity is private: they turned on “Make profile private and hide "
            "activity” in their GitHub profile settings, so GitHub shows nobody their pull "
            "requests, reviews or issues, and gitbrag has nothing true to report. There is no "
            "report while the setting is on; once they turn it off, the report can be made."
        )
    return f"No GitHub user named {username}."


def not_found_title(reason: str | None) -> str:
    return NOT_FOUND_TITLES.get(reason or "no_user", NOT_FOUND_TITLES["no_user"])


def job_not_found_reason(job: Job) -> str:
    """Why a ``not_found`` job found no report (records from before ``reason``: its error)."""
    if job.reason:
        return job.reason
    return "organization" if job.error and "organisation" in job.error else "no_user"


def progress_text(progress: Progress) -> str:
    """E.g. "Searching pull requests 300/2600"; the bare label when there is no total."""
    label = PHASE_LABELS.get(progress.phase, progress.phase.replace("_", " ").capitalize())
    return f"{label} {progress.done}/{progress.total}" if progress.total else label


def job_api(job: Job) -> dict[str, Any]:
    """The JSON shape of a job in the API (``GET /api/jobs/{id}`` adds :func:`job_payload`'s
    fields)."""
    progress = job.progress
    body: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "progress": (
            {"phase": progress.phase, "done": progress.done, "total": progress.total}
            if progress
            else None
        ),
        "report_key": job.report_key,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
    }
    if job.retry_at is not None:
        body["retry_at"] = job.retry_at.isoformat()
    if job.status == "not_found":
        body["reason"] = job_not_found_reason(job)
    return body


def job_message(job: Job, now: datetime, username: str) -> str:
    """One sentence saying what the job is doing right now (phase text, ETA, outcome)."""
    if job.status == "running" and job.progress is not None:
        return progress_text(job.progress)
    if job.status == "running":
        return "Starting…"
    if job.status == "queued":
        return "Queued: a worker will pick this report up in a moment."
    if job.status == "waiting_rate_limit":
        if job.retry_at is not None:
            wait = (job.retry_at - now).total_seconds()
            eta = "any moment now" if wait < 60 else f"in about {duration_words(wait)}"
            clock = job.retry_at.strftime("%H:%M UTC")
            return f"GitHub's rate limit is used up; generation resumes at {clock} ({eta})."
        return "GitHub's rate limit is used up; generation resumes when it resets."
    if job.status == "done":
        return "Done: loading the report…"
    if job.status == "not_found":
        return not_found_message(job_not_found_reason(job), username)
    if job.status == "cancelled":
        return "This generation was cancelled before it finished."
    return job.error or "Something went wrong while collecting from GitHub."


def job_headline(job: Job) -> str:
    """The job's status in a few words (a ``not_found`` job says why: no such user, an
    organisation, a private profile)."""
    if job.status == "not_found":
        return not_found_title(job_not_found_reason(job))
    return STATUS_HEADLINES.get(job.status, job.status)


def job_payload(
    job: Job, now: datetime, username: str, *, login_again: bool = False
) -> dict[str, Any]:
    """The API's job object plus what a progress bar needs (``percent``, ``message``) and
    ``login_again`` (the viewer's token was rejected: the page must ask for a new login)."""
    phase = job.progress.phase if job.progress else None
    done = job.progress.done if job.progress else 0
    total = job.progress.total if job.progress else 0
    percent = 100.0 if job.status == "done" else progress_percent(phase, done, total)
    payload = job_api(job)
    payload.update(
        {
            "percent": percent,
            "message": job_message(job, now, username),
            "headline": job_headline(job),
            "finished": job.finished,
            "retry_at": iso_utc(job.retry_at) if job.retry_at else None,
            "login_again": login_again,
        }
    )
    return payload
