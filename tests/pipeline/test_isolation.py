"""The harness keeps a developer's ``.env`` and shell out of the tests.

The README tells developers to put their settings, a real ``GITBRAG_GITHUB_TOKEN`` among
them, in a ``.env`` at the checkout's root. Here that file holds a bogus token: neither the
settings the tests build nor a worker the harness starts may ever see it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from actors.outcomes import LOGIN_EXPIRED
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import CredentialRef
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from gitbrag.stores.credentials import SERVER_REF
from tests.harness import ROOT, test_settings
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_finished

BOGUS = "ghp_bogus_token_from_a_developers_dotenv"


@pytest.fixture
def developer_dotenv(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``.env`` at the checkout's root (a developer's own is set aside and put back) and
    the same token in this process's environment; the tests run from the checkout."""
    path = ROOT / ".env"
    kept = path.with_name(".env.kept-by-test-isolation")
    if path.exists():
        path.rename(kept)
    path.write_text(f"GITBRAG_GITHUB_TOKEN={BOGUS}\nGITBRAG_ANONYMOUS_GENERATION=true\n")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GITBRAG_GITHUB_TOKEN", BOGUS)
    try:
        yield path
    finally:
        path.unlink()
        if kept.exists():
            kept.rename(path)


def test_the_dotenv_is_really_there_for_a_plain_settings_class(developer_dotenv: Path) -> None:
    # What an unisolated Settings would read: the premise of the tests below.
    os.environ.pop("GITBRAG_GITHUB_TOKEN")
    plain = Settings(_env_file=developer_dotenv)  # type: ignore[call-arg]
    assert plain.github_token == BOGUS and plain.anonymous_generation


def test_test_settings_ignore_the_dotenv_and_the_environment(
    developer_dotenv: Path, redis_url: str, tmp_path: Path
) -> None:
    settings = test_settings(redis_url, tmp_path)
    assert settings.github_token is None and not settings.anonymous_generation
    # Even a bare Settings() in the test process reads neither (tests/conftest.py).
    os.environ.pop("GITBRAG_GITHUB_TOKEN")
    assert Settings().github_token is None


def test_a_worker_never_sees_the_developers_token(
    developer_dotenv: Path, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    worker = hub_pipeline.start_worker(threads=1)
    process = psutil.Process(worker.pid)
    assert Path(process.cwd()) != ROOT, "a worker in the checkout would read its .env"
    assert not any(BOGUS in value for value in process.environ().values())

    # A job on the server credential runs with the worker's own GITBRAG_GITHUB_TOKEN: none
    # in the test settings. Had the bogus token leaked, GitHub would have been asked (401).
    service = hub_pipeline.service
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    job = service.request_report(key, CredentialRef(SERVER_REF))
    (done,) = wait_finished(service, [job.id], timeout=60)
    assert (done.status, done.error) == ("failed", LOGIN_EXPIRED)
    assert hub.request_count() == 0
