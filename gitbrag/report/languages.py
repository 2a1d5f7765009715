"""Which language a changed file is in, by its path, with GitHub Linguist's data (via go-enry).

Only the path is known (fetching every file's content would cost one request per file), so
ambiguous extensions (``.rs`` is Rust, RenderScript or XML to Linguist) are settled by a
popularity order. Like GitHub's language bar, only Linguist types ``programming`` and ``markup``
count; vendored, generated and lock files never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Final

import enry

COUNTED_TYPES: Final = frozenset({"programming", "markup"})

LOCK_FILES: Final = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "cargo.lock",
        "poetry.lock",
        "pipfile.lock",
        "pdm.lock",
        "uv.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "packages.lock.json",
        "flake.lock",
        "gradle.lockfile",
    }
)

# Generated code Linguist recognises by content; we only have the path.
GENERATED_SUFFIXES: Final = (
    ".pb.go",
    "_pb2.py",
    "_pb2_grpc.py",
    ".pb.cc",
    ".pb.h",
    ".min.js",
    ".min.css",
    ".g.dart",
    ".freezed.dart",
    ".designer.cs",
    ".generated.ts",
    ".generated.js",
)

# When Linguist lists several languages for an extension, the first of these wins.
POPULARITY: Final = (
    "JavaScript",
    "Python",
    "TypeScript",
    "Java",
    "C#",
    "C++",
    "C",
    "Go",
    "Rust",
    "Ruby",
    "PHP",
    "Kotlin",
    "Swift",
    "Objective-C",
    "Shell",
    "Perl",
    "Scala",
    "Dart",
    "Lua",
    "R",
    "MATLAB",
    "Haskell",
    "Elixir",
    "Clojure",
    "Verilog",
    "Fortran",
    "Visual Basic .NET",
    "HTML",
    "CSS",
)
_RANK: Final = {name: index for index, name in enumerate(POPULARITY)}


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    color: str | None


def is_excluded(path: str) -> bool:
    """Vendored, generated or lock files: never counted as anyone's language."""
    name = PurePosixPath(path).name.lower()
    return (
        name in LOCK_FILES
        or name.endswith(GENERATED_SUFFIXES)
        or enry.is_vendor(path)
        or enry.is_generated(path, b"")
    )


@lru_cache(maxsize=65_536)
def detect(path: str) -> Language | None:
    """The counted language of ``path``, or None (unknown, excluded, data, prose)."""
    if not path or is_excluded(path):
        return None
    candidates = enry.get_languages(path, b"")
    if not candidates:
        return None
    name = min(candidates, key=lambda c: (_RANK.get(c, len(_RANK)), candidates.index(c)))
    if enry.get_language_type(name) not in COUNTED_TYPES:
        return None
    color = enry.get_color(name) or None
    return Language(name, color)
