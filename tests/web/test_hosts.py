"""Issue 20, item 2: a ``Host`` this site does not answer is refused (400) before anything is
read, rendered or written; site addresses, and so bundles per report version, are a fixed few
(``web.hosts``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from gitbrag.errors import ConfigError
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from tests.fixtures.web import METRICS_AUTH, key_for, settings_for, store_report
from tests.harness import ROOT
from tests.web.redis_monitor import monitored
from web.app import create_app
from web.hosts import HostCheck, split_host

PAGE = "/user/github/octocat"
WRITES = {
    "set", "hset", "hsetnx", "hincrby", "incr", "incrby", "expire", "pexpire", "expireat",
    "del", "unlink", "zadd", "zincrby", "zrem", "sadd", "srem", "lpush", "rpush", "ltrim",
    "hdel", "rename", "setex", "getdel", "persist", "xadd", "lpop", "rpop",
}  # fmt: skip


def _renders(client: TestClient) -> float:
    for line in client.get("/metrics", headers=METRICS_AUTH).text.splitlines():
        if line.startswith('gitbrag_renders_total{kind="bundle"}'):
            return float(line.split()[-1])
    return 0.0


def _writes(commands: list[str]) -> list[str]:
    written = []
    for line in commands:
        name = line.split(" ", 1)[0]
        if name in WRITES:
            written.append(line)
        elif name in ("evalsha", "eval", "fcall"):
            written.append(line)  # scripts: the view's read is the only one expected
    return written


def test_a_thousand_unknown_hosts_render_and_write_nothing(
    web_client: TestClient, web_service: ReportService, redis_url: str
) -> None:
    store_report(web_service, key_for())
    first = web_client.get(PAGE)  # the site's own address: rendered once, kept in Redis
    assert first.status_code == 200
    assert '<link rel="canonical" href="http://testserver/user/github/octocat">' in first.text
    renders = _renders(web_client)
    with monitored(redis_url) as commands:
        for number in range(1000):
            host = f"site-{number}.example" if number % 2 else f"testserver:{1000 + number}"
            answer = web_client.get(PAGE, headers={"Host": host})
            assert answer.status_code == 400, host
            assert host not in answer.text
        api = web_client.get("/api/reports/github/octocat", headers={"Host": "evil.example"})
        assert api.status_code == 400 and api.json()["state"] == "error"
        refused = list(commands)
        # The site's own address is served as before (and MONITOR sees its read).
        assert web_client.get(PAGE).status_code == 200
        web_client.get("/healthz")
    assert _renders(web_client) == renders
    assert _writes(refused) == []  # not even a read: refused before routing
    assert not [line for line in refused if "octocat" in line]
    assert any(line.startswith("evalsha") for line in commands[len(refused) :])


def test_probes_answer_any_host(web_client: TestClient) -> None:
    assert web_client.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200
    assert web_client.get("/readyz", headers={"Host": "10.1.2.3:8000"}).status_code == 200
    assert web_client.get("/", headers={"Host": "10.1.2.3:8000"}).status_code == 400


def test_dev_mode_answers_loopback_names_on_its_own_port(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    """``gitbrag up`` without a secret key (dev mode, no PUBLIC_URL): the loopback names on
    the server's port, nothing else."""
    settings = settings_for(redis_url, hub, tmp_path, dev=True, secret_key=None, allowed_hosts="")
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"):
            assert client.get("/", headers={"Host": host}).status_code == 200, host
        for host in ("127.0.0.1:8001", "localhost:1", "evil.example", "127.0.0.2:8000", ""):
            assert client.get("/", headers={"Host": host}).status_code == 400, host


def test_public_url_names_every_absolute_address(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    """With PUBLIC_URL, its host (any port: nothing rendered depends on it) and the
    ALLOWED_HOSTS aliases are answered, and every absolute address is PUBLIC_URL's."""
    settings = settings_for(
        redis_url,
        hub,
        tmp_path,
        public_url="https://gitbrag.example",
        allowed_hosts="www.gitbrag.example",
    )
    app = create_app(settings)
    store_report(app.state.context.service, key_for())
    with TestClient(app, base_url="https://gitbrag.example") as client:
        for host in ("gitbrag.example", "gitbrag.example:443", "www.gitbrag.example"):
            page = client.get(PAGE, headers={"Host": host})
            assert page.status_code == 200, host
            assert 'href="https://gitbrag.example/user/github/octocat"' in page.text
        assert client.get(PAGE, headers={"Host": "evil.example"}).status_code == 400


def test_allowed_hosts_must_be_host_names(redis_url: str, hub: FakeHub, tmp_path: Path) -> None:
    settings = settings_for(redis_url, hub, tmp_path, allowed_hosts="ok.example, https://x/")
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS"):
        create_app(settings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", ("example.com", None)),
        ("Example.COM:8000", ("example.com", 8000)),
        ("[::1]:8000", ("[::1]", 8000)),
        ("[::1]", ("[::1]", None)),
        ("::1", None),
        ("example.com:0", None),
        ("example.com:99999", None),
        ("example.com:8²", None),
        ("exa mple.com", None),
        ("a@b", None),
        ("", None),
        ("é.example", None),
    ],
)
def test_split_host(value: str, expected: tuple[str, int | None] | None) -> None:
    assert split_host(value) == expected


def test_host_check_rules() -> None:
    local = HostCheck(None, ["lan.example:8443"])
    assert local.accepts(b"localhost:8000", 8000) and not local.accepts(b"localhost:8001", 8000)
    assert local.accepts(b"lan.example:8443", 8000) and not local.accepts(b"lan.example:1", 8000)
    assert local.accepts(None, 8000)  # HTTP/1.0: the server's own address is used
    public = HostCheck("https://gitbrag.example/", [])
    assert public.accepts(b"gitbrag.example:1234", 8000)
    assert not public.accepts(b"gitbrag.example.evil:443", 8000)


def test_the_compose_file_requires_a_public_url() -> None:
    """The shipped compose file names its site: without GITBRAG_PUBLIC_URL it does not start
    (``${...:?}``), so no deployment of it takes addresses from requests."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["x-gitbrag"]["environment"]
    assert environment["GITBRAG_PUBLIC_URL"].startswith("${GITBRAG_PUBLIC_URL:?")
