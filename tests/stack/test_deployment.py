"""docker-compose.yml, the Dockerfile and .env.example, checked by parsing (no Docker here)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitbrag.cli import build_parser
from gitbrag.runtime.healthcheck import ROLES
from gitbrag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "scheduler")
COMPOSE_ONLY_VARIABLES = {"GITBRAG_PUBLISH_PORT"}


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
        assert services[name]["build"] == ".", name
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
        assert env["GITBRAG_REDIS_URL"].startswith("redis://redis:6379")
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
