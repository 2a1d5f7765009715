"""One true map: every module of gitbrag/, actors/, web/ and bench/ is named in the module map
of docs/architecture.md (or, for web/, of docs/web.md), so the map cannot drift from the tree
unnoticed (issue 19: it had, by a dozen modules)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAPS = (ROOT / "docs" / "architecture.md", ROOT / "docs" / "web.md")


def table_rows() -> list[str]:
    return [
        line
        for doc in MAPS
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]


def named(module: Path, rows: list[str]) -> bool:
    """A row names the module by its path, or names its folder and then its file name."""
    path = module.relative_to(ROOT).as_posix()
    folder, name = path.rsplit("/", 1)
    return any(f"`{path}`" in row or (f"`{folder}/" in row and f"`{name}`" in row) for row in rows)


def test_every_module_is_on_the_map() -> None:
    rows = table_rows()
    modules = [
        module
        for package in ("gitbrag", "actors", "web", "bench")
        for module in sorted((ROOT / package).rglob("*.py"))
        if module.name != "__init__.py"
    ]
    assert len(modules) > 150
    missing = [str(module.relative_to(ROOT)) for module in modules if not named(module, rows)]
    assert missing == []
