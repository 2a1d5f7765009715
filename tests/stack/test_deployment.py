"""docker-compose.yml, the Dockerfile and .env.example, checked by parsing (no Docker here)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitbrag.cli import build_parser
from gitbrag.runtime.healthcheck import ROLES
from gitbrag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "scheduler")
COMPOSE_ONLY_VARIABLES = {
    "GITBRAG_PUBLISH_PORT",
    "GITBRAG_REDIS_PASSWORD",
    "GITBRAG_REDIS_MAXMEMORY",
    "GITBRAG_REDIS_CONFIG_COMMAND",  # docker-compose.ha.yml: CONFIG's secret name
    "GITBRAG_PYTHON_IMAGE",
    "GITBRAG_REDIS_IMAGE",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def setting_variables() -> set[str]:
    return {f"GITBRAG_{name.upper()}" for name in Settings.model_fields}


def test_compose_has_exactly_the_four_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"redis", *APP_SERVICES}


def test_app_services_share_one_image_built_from_the_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        assert services[name]["build"]["context"] == ".", name
        assert services[name]["image"] == services["web"]["image"]
    assert (ROOT / "Dockerfile").is_file()


def test_every_service_is_non_root_and_has_a_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        user = str(service.get("user", "root"))
        assert user.split(":")[0] not in ("root", "0"), name
        assert service["healthcheck"]["test"], name


def test_app_healthchecks_call_a_known_probe(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "gitbrag.runtime.healthcheck"]
        assert test[4] == name and name in ROLES


def test_scheduler_has_exactly_one_replica(services: dict[str, dict[str, Any]]) -> None:
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert "deploy" not in services["worker"] or services["worker"]["deploy"].get("replicas", 1)


def test_redis_persists_to_a_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    assert "--appendonly yes" in redis["command"]
    assert "--save" in redis["command"]
    volume, target = redis["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]


def test_app_services_wait_for_a_healthy_redis(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        env = services[name]["environment"]
        assert env["GITBRAG_REDIS_URL"].startswith("redis://:${GITBRAG_REDIS_PASSWORD:?")
        assert env["GITBRAG_REDIS_URL"].endswith("}@redis:6379/0")
        assert env["GITBRAG_SECRET_KEY"].startswith("${GITBRAG_SECRET_KEY:?")


def test_app_commands_are_valid_gitbrag_commands(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    for name in APP_SERVICES:
        command = services[name]["command"]
        assert command[0] == "gitbrag"
        assert parser.parse_args(command[1:]).command == name
    web = parser.parse_args(services["web"]["command"][1:])
    assert web.host == "0.0.0.0" and web.port == 8000
    # The healthcheck probes GITBRAG_PORT: it must be the port the command listens on.
    assert services["web"]["environment"]["GITBRAG_PORT"] == str(web.port)
    assert services["web"]["ports"] == ["${GITBRAG_PUBLISH_PORT:-8000}:8000"]


def test_compose_environment_names_are_real_settings(services: dict[str, dict[str, Any]]) -> None:
    known = setting_variables()
    for name in APP_SERVICES:
        for variable in services[name]["environment"]:
            if variable.startswith("GITBRAG_"):
                assert variable in known, variable


def test_dockerfile_runs_as_non_root_with_a_healthcheck() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    final_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    users = [line.split()[1] for line in final_stage if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") for line in final_stage)
    # The last CMD line is the image's command (the one before belongs to HEALTHCHECK).
    command = [line for line in final_stage if line.startswith("CMD ")][-1]
    assert json.loads(command[4:]) == ["gitbrag", "web"]
    # Every package the wheel ships is copied into the build context.
    copied = {
        line.split()[1] for line in lines if line.startswith("COPY ") and "--from" not in line
    }
    assert {"gitbrag", "actors", "web", "templates", "pyproject.toml"} <= copied


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    mentioned = set(re.findall(r"^#?\s*(GITBRAG_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert setting_variables() - mentioned == set(), "settings missing from .env.example"
    assert mentioned - setting_variables() <= COMPOSE_ONLY_VARIABLES


def test_readme_configuration_table_lists_every_setting() -> None:
    text = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| `(GITBRAG_[A-Z0-9_]+)` \|", text, flags=re.MULTILINE))
    assert setting_variables() - rows == set(), "settings missing from the README table"
    assert rows - setting_variables() == set(), "README lists settings that do not exist"


def test_compose_redis_has_a_password_a_memory_limit_and_never_evicts(
    services: dict[str, dict[str, Any]],
) -> None:
    redis = services["redis"]
    command = shlex.split(redis["command"])
    options = {command[i]: command[i + 1] for i in range(1, len(command) - 1, 1)}
    assert options["--requirepass"].startswith("${GITBRAG_REDIS_PASSWORD:?")
    assert options["--maxmemory"] == "${GITBRAG_REDIS_MAXMEMORY:-512mb}"
    # The broker's queues and messages must never be evicted: refuse writes instead.
    assert options["--maxmemory-policy"] == "noeviction"
    renamed = [command[i + 1] for i, word in enumerate(command) if word == "--rename-command"]
    assert renamed == ["CONFIG", "DEBUG", "MODULE"]
    assert redis["environment"]["REDISCLI_AUTH"] == "${GITBRAG_REDIS_PASSWORD}"
    assert redis["image"].startswith("${GITBRAG_REDIS_IMAGE:-redis:")


def test_images_install_only_locked_and_hash_checked_packages() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms and all(line.split()[1] == "${PYTHON_IMAGE}" for line in froms)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in lines
    assert "--require-hashes" in text and "-r requirements.lock" in text
    # The runtime stage reaches no index: only the wheels the build stage checked.
    runtime = text[text.rindex("FROM ") :]
    install = next(line for line in runtime.splitlines() if "pip install" in line)
    assert "--no-index" in install and "--no-deps" in install
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes --no-deps -r requirements-dev.lock" in makefile


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_lock_files_pin_every_package_with_hashes(lock: str) -> None:
    text = (ROOT / lock).read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^ ]+) \\$", text, flags=re.MULTILINE)
    assert len(pins) > 30
    blocks = re.split(r"^(?=[A-Za-z0-9_.-]+==)", text, flags=re.MULTILINE)[1:]
    assert all("--hash=sha256:" in block for block in blocks)
    versions = {name.lower(): version for name, version in pins}
    multipart = tuple(int(part) for part in versions["python-multipart"].split("."))
    assert multipart >= (0, 0, 18)
    assert "--index-url" not in text and "/opt/" not in text  # no machine's index in the lock


def _requirement_name(requirement: str) -> str:
    """``"uvicorn[standard]>=0.30"`` → ``"uvicorn"``, normalised as pip compares names."""
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked_names(lock: str) -> set[str]:
    text = (ROOT / lock).read_text()
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", text, flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def test_every_declared_dependency_is_in_its_lock() -> None:
    """A dependency added to pyproject.toml without `make lock` would install nowhere (the
    installs take only what the lock pins): a fresh clone's CI would fail to import it."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        _requirement_name(r)
        for extra in ("dev", "demo")
        for r in project["optional-dependencies"][extra]
    }
    assert runtime - _locked_names("requirements.lock") == set()
    assert (runtime | extras) - _locked_names("requirements-dev.lock") == set()
