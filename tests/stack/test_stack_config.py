"""What `gitbrag up` / `gitbrag demo` decide before starting anything."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

import pytest

from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET
from gitbrag.runtime.redis_server import free_port
from gitbrag.runtime.stack import (
    DEMO_SERVER_LOGIN,
    StackError,
    child_specs,
    configure,
    data_dir_lock,
    ensure_port_free,
    run_stack,
)
from gitbrag.settings import Settings


def args(host: str | None = None, port: int | None = None) -> argparse.Namespace:
    return argparse.Namespace(host=host, port=port)


def test_no_settings_means_dev_mode_on_the_default_address(tmp_path: Path) -> None:
    config = configure(Settings(data_dir=tmp_path / "d"), args(), demo=False)
    assert config.dev and config.env["GITBRAG_DEV"] == "1"
    assert (config.host, config.port) == ("127.0.0.1", 8000)
    assert config.redis_url is None, "an embedded Redis will be started"
    assert config.env["GITBRAG_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert config.env["TZ"] == "UTC"
    assert config.site_url == "http://127.0.0.1:8000"


def test_a_secret_key_and_redis_url_are_used_as_given(tmp_path: Path) -> None:
    settings = Settings(secret_key="s" * 40, redis_url="redis://db:6379/0", data_dir=tmp_path)
    config = configure(settings, args("0.0.0.0", 9000), demo=False)
    assert not config.dev and "GITBRAG_DEV" not in config.env
    assert config.redis_url == "redis://db:6379/0"
    assert (config.env["GITBRAG_HOST"], config.env["GITBRAG_PORT"]) == ("0.0.0.0", "9000")
    assert config.site_url == "http://127.0.0.1:9000"


def test_children_one_scheduler_and_the_web_on_the_chosen_address(tmp_path: Path) -> None:
    config = configure(Settings(data_dir=tmp_path), args("127.0.0.2", 8123), demo=False)
    specs = child_specs(config, {"X": "1"})
    assert [spec.name for spec in specs] == ["web", "worker", "scheduler"]
    assert all(spec.argv[:3] == (sys.executable, "-m", "gitbrag") for spec in specs)
    assert specs[0].argv[3:] == ("web", "--host", "127.0.0.2", "--port", "8123")
    assert all(spec.env == {"X": "1"} for spec in specs)


def test_demo_points_every_github_setting_at_its_simulated_github(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(redis_url="redis://production:6379/0", data_dir=tmp_path)
    config = configure(settings, args(), demo=True)
    assert config.redis_url is None, "the demo never uses a configured Redis"
    assert config.fakehub_port is not None
    base = f"http://127.0.0.1:{config.fakehub_port}"
    env = config.env
    assert env["GITBRAG_DEMO"] == "1"
    assert env["GITBRAG_GITHUB_API_URL"] == env["GITBRAG_GITHUB_URL"] == base
    assert env["GITBRAG_GITHUB_GRAPHQL_URL"] == base + "/graphql"
    assert (env["GITBRAG_GITHUB_CLIENT_ID"], env["GITBRAG_GITHUB_CLIENT_SECRET"]) == (
        CLIENT_ID,
        CLIENT_SECRET,
    )
    assert env["GITBRAG_GITHUB_TOKEN"] == token_for(DEMO_SERVER_LOGIN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    demo_env = Settings()  # what the children will read
    assert demo_env.demo and demo_env.graphql_url == base + "/graphql"
    assert demo_env.demo_user_list == SAMPLE_USERS, "the home page offers the sample users"
    names = [spec.name for spec in child_specs(config, {})]
    assert names == ["fakehub", "web", "worker", "scheduler"]


def test_a_taken_port_fails_early_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StackError, match=f"cannot listen on 127.0.0.1:{port}"):
            ensure_port_free("127.0.0.1", port)
        code = run_stack(Settings(data_dir=tmp_path / "d"), args(port=port), demo=False)
    assert code == 1
    assert f"gitbrag: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert not (tmp_path / "d" / "redis").exists(), "no Redis was started"
    assert not (tmp_path / "d" / "secret_key").exists()


def test_a_second_stack_on_the_same_data_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    with data_dir_lock(data_dir):
        assert (data_dir / "stack.lock").read_text() == str(os.getpid())
        code = run_stack(Settings(data_dir=data_dir), args(port=free_port()), demo=False)
        assert code == 1
        assert f"already running with the data dir {data_dir} (pid {os.getpid()})" in (
            capsys.readouterr().err
        )
        with pytest.raises(StackError, match="already running"), data_dir_lock(data_dir):
            pass
    assert not (data_dir / "redis").exists()
    with data_dir_lock(data_dir):  # released: the next stack may start
        pass
