"""Settings that cannot work are refused with the setting's name, never at import time by an
``assert`` or later by a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gitbrag.errors import ConfigError
from gitbrag.settings import Settings


def test_http_timeout_must_be_shorter_than_the_job_time_limit() -> None:
    with pytest.raises(ValidationError, match="GITBRAG_HTTP_TIMEOUT_SECONDS must be shorter"):
        Settings(_env_file=None, http_timeout_seconds=60, job_time_limit_seconds=60)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, http_timeout_seconds=59, job_time_limit_seconds=60)  # type: ignore[call-arg]
    assert ok.http_timeout_seconds < ok.job_time_limit_seconds


def test_a_missing_secret_key_is_a_config_error_outside_dev(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GITBRAG_SECRET_KEY is required"):
        Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key()  # type: ignore[call-arg]
    dev = Settings(_env_file=None, data_dir=tmp_path, dev=True)  # type: ignore[call-arg]
    assert dev.resolved_secret_key() == dev.resolved_secret_key()  # generated once, kept


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITBRAG_HTTP_TIMEOUT_SECONDS": "900"}, "GITBRAG_HTTP_TIMEOUT_SECONDS must be shorter"),
        ({"GITBRAG_PORT": "not-a-port"}, "port"),
    ],
)
def test_the_command_reports_bad_settings_without_a_traceback(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
    result = subprocess.run(
        [sys.executable, "-m", "gitbrag", "worker"],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "gitbrag: configuration error" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("api_url", "graphql_url", "web_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql", "https://github.com"),
        # GHE.com (data residency): API and GraphQL on api.SUBDOMAIN, the web on SUBDOMAIN
        ("https://api.octo-corp.ghe.com", "https://api.octo-corp.ghe.com/graphql",
         "https://octo-corp.ghe.com"),
        ("https://api.octo-corp.ghe.com/", "https://api.octo-corp.ghe.com/graphql",
         "https://octo-corp.ghe.com"),
        # GitHub Enterprise Server
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql",
         "https://ghe.example.com"),
        ("https://ghe.example.com:8443/api/v3/", "https://ghe.example.com:8443/api/graphql",
         "https://ghe.example.com:8443"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/graphql", "https://github.com"),
    ],
)  # fmt: skip
def test_graphql_and_web_roots_follow_the_api_root(
    api_url: str, graphql_url: str, web_url: str
) -> None:
    settings = Settings(_env_file=None, github_api_url=api_url)  # type: ignore[call-arg]
    assert (settings.graphql_url, settings.github_url) == (graphql_url, web_url)


def test_a_web_root_that_is_given_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITBRAG_GITHUB_API_URL", "https://api.octo-corp.ghe.com")
    monkeypatch.setenv("GITBRAG_GITHUB_URL", "https://sso.octo-corp.example")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.github_url == "https://sso.octo-corp.example"
    assert settings.graphql_url == "https://api.octo-corp.ghe.com/graphql"
