"""The simulated GitHub is an optional part: production processes never load it.

Each check runs a fresh interpreter (the test process itself has the fakehub loaded), outside
the checkout and with no ``GITBRAG_*`` from the developer's shell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Makes graphql-core (as in `pip install gitbrag` without the demo extra) and, for the import
# checks, the simulated GitHub itself unimportable.
BLOCK = """
import importlib.abc, sys

class WithoutDemoExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        for blocked in BLOCKED:
            if name == blocked or name.startswith(blocked + "."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutDemoExtra())
"""
WITHOUT_FAKEHUB = 'BLOCKED = ("graphql", "gitbrag.fakehub")' + BLOCK
WITHOUT_DEMO_EXTRA = 'BLOCKED = ("graphql",)' + BLOCK

LOADED_DEMO_MODULES = """
demo_modules = sorted(m for m in sys.modules if m.split(".")[0] == "graphql"
                      or m == "gitbrag.fakehub" or m.startswith("gitbrag.fakehub."))
"""


def _python(code: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_web_and_actors_import_without_the_simulated_github(tmp_path: Path) -> None:
    code = "import sys\nimport web.app, web.server, actors" + LOADED_DEMO_MODULES
    code += "print(demo_modules)"
    env_code = "import os\nos.environ['GITBRAG_STUB_BROKER'] = '1'\n"
    result = _python(env_code + code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", "importing the production code loads the fakehub"


def test_web_and_actors_work_with_the_demo_extra_uninstalled(
    tmp_path: Path, redis_url: str
) -> None:
    code = (
        WITHOUT_FAKEHUB
        + """
import json, os
os.environ["GITBRAG_REDIS_URL"] = sys.argv[1]  # the actors' broker reads its settings
from fastapi.testclient import TestClient
import actors, web.app
from gitbrag.settings import Settings

settings = Settings(_env_file=None, redis_url=sys.argv[1], secret_key="s" * 32, demo=True,
                    demo_users="octocat,Mixed-Case-Dev", allowed_hosts="testserver")
with TestClient(web.app.create_app(settings)) as client:
    home = client.get("/")
print(json.dumps({"status": home.status_code,
                  "listed": "/user/github/mixed-case-dev" in home.text,
                  "broker": [c.__name__ for c in type(actors.broker.broker).__mro__]}))
"""
    )
    result = _python(code, tmp_path, redis_url)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == 200 and answer["listed"]
    assert "RedisBroker" in answer["broker"]  # the real broker (RecoveringRedisBroker is one)


@pytest.mark.parametrize(
    ("command", "code"), [(["fakehub", "--port", "0"], 2), (["demo", "--port", "0"], 1)]
)
def test_demo_commands_say_which_extra_they_need(
    tmp_path: Path, command: list[str], code: int
) -> None:
    run = WITHOUT_DEMO_EXTRA + "from gitbrag.cli import main\nsys.exit(main(sys.argv[1:]))"
    result = _python(run, tmp_path, *command)
    assert result.returncode == code, result.stderr
    assert "pip install 'gitbrag[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
