"""`pip install .` ships a working gitbrag: templates, static files and the GraphQL schema.

The wheel is built offline from a copy of exactly what the Dockerfile copies, installed with
``--no-deps`` into a fresh virtualenv that borrows the project venv's dependencies (a path
entry, not its editable install), and run from a directory outside the source tree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "gitbrag", "actors", "web", "templates")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check",
         "--outdir", str(dist), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (built,) = dist.glob("gitbrag-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel; returns its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from the project venv, appended after the fresh site-packages.
    (Path(site) / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    yield env_dir / "bin"


def test_wheel_contains_templates_static_files_and_schema(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith("templates/static/") for n in names)
    assert "gitbrag/fakehub/schema.graphql" in names
    assert {"gitbrag/cli.py", "actors/__init__.py", "web/__init__.py"} <= set(names)
    assert not any(n.startswith("tests/") for n in names)
    # Every template and static file of the source tree is in the wheel.
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.relative_to(ROOT).as_posix() in names


def test_installed_command_runs(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed / "gitbrag"), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for command in ("up", "demo", "web", "worker", "scheduler", "report"):
        assert command in result.stdout


def test_installed_package_resolves_its_own_templates(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import json, gitbrag, web.app, web.templating as t; "
        "print(json.dumps({'gitbrag': gitbrag.__file__, 'templates': str(t.TEMPLATE_DIR), "
        "'html': sorted(p.name for p in t.TEMPLATE_DIR.glob('*.html')), "
        "'static': sorted(p.name for p in t.STATIC_DIR.iterdir())}))"
    )
    result = subprocess.run(
        [str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    env_dir = installed.parent
    assert Path(found["gitbrag"]).is_relative_to(env_dir)
    assert Path(found["templates"]).is_relative_to(env_dir)
    assert found["html"] and found["static"]


def test_installed_package_draws_cards_and_social_images(installed: Path, tmp_path: Path) -> None:
    """The card and badge templates ship, and the social image finds a font (DejaVu Sans where
    the system has it, Pillow's own otherwise) from an installed package."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import io, json\n"
        "from PIL import Image\n"
        "from tests_stub import report\n"
        "import web.templating as t\n"
        "from web.embeds.card import card\n"
        "from web.embeds.fonts import font_path\n"
        "from web.embeds.social_image import social_image\n"
        "env = t.build_templates().env\n"
        "svg = env.get_template('card.svg').render(card=card(report, 'dark', 500))\n"
        "png = Image.open(io.BytesIO(social_image(report)))\n"
        "print(json.dumps({'svg': svg[:200], 'size': png.size, 'font': str(font_path())}))\n"
    )
    (tmp_path / "tests_stub.py").write_text(
        "from datetime import UTC, datetime\n"
        "from gitbrag.report.records import Collection, UserProfile\n"
        "from gitbrag.report.keys import ReportKey\n"
        "from gitbrag.report.periods import DateRange\n"
        "from gitbrag.report.builder import build_report\n"
        "profile = UserProfile('octocat', 'The Octocat', '', 'https://github.com/octocat')\n"
        "key = ReportKey('octocat', DateRange.for_period('1_year'))\n"
        "report = build_report(Collection(profile, [], {}, {}), key, datetime.now(UTC))\n"
    )
    result = subprocess.run(
        [str(installed / "python"), str(script)], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert "<svg" in found["svg"] and found["size"] == [1200, 630]
