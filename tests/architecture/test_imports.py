"""The dependency direction: api -> projections -> lrs, never back; lrs.xapi is pure.

Imports are read from the source (ast), absolute and relative ones alike, including
imports inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RULES = [
    ("lrs", ("api", "projections", "cli", "fastapi", "starlette", "uvicorn")),
    ("lrs.xapi", ("sqlalchemy", "alembic", "fastapi", "starlette", "lrs.db", "lrs.log")),
    ("projections", ("api", "cli", "fastapi", "starlette")),
    ("api", ("cli",)),
]


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(package: str, root: Path = ROOT) -> list[tuple[Path, str]]:
    """(file, absolute module name) of every import in ``package``'s files."""
    found: list[tuple[Path, str]] = []
    for path in (root / package.replace(".", "/")).rglob("*.py"):
        module = _module_of(path, root)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    base = node.module or ""
                else:
                    # from .x import y / from .. import z: relative to this module's package
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                if base:
                    found.append((path, base))
                # `from pkg import sub` may import a module: count pkg.sub too.
                found.extend((path, f"{base}.{alias.name}" if base else alias.name) for alias in node.names)
    return found


def offenders(package: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return sorted(
        {
            f"{path.relative_to(root)} imports {name}"
            for path, name in imports_of(package, root)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        }
    )


@pytest.mark.parametrize(("package", "forbidden"), RULES)
def test_dependency_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_the_rules_catch_planted_violations(tmp_path: Path) -> None:
    """Feed the walker a tree with violations of every kind it must see."""
    plant = {
        "lrs/__init__.py": "",
        "lrs/clean.py": "import orjson\nfrom lrs import errors\n",
        "lrs/direct.py": "import api.app\n",
        "lrs/xapi/__init__.py": "",
        "lrs/xapi/relative.py": "from ..log import append\n",
        "lrs/xapi/lazy.py": "def f():\n    from sqlalchemy import select\n    return select\n",
        "lrs/sub/__init__.py": "from ... import projections\n",
        "projections/__init__.py": "from api import deps\n",
    }
    for name, text in plant.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert offenders("lrs", ("api",), tmp_path) == ["lrs/direct.py imports api.app"]
    assert offenders("lrs.xapi", ("lrs.log", "sqlalchemy"), tmp_path) == [
        "lrs/xapi/lazy.py imports sqlalchemy",
        "lrs/xapi/lazy.py imports sqlalchemy.select",
        "lrs/xapi/relative.py imports lrs.log",
        "lrs/xapi/relative.py imports lrs.log.append",
    ]
    assert offenders("projections", ("api",), tmp_path) == [
        "projections/__init__.py imports api",
        "projections/__init__.py imports api.deps",
    ]
    # A relative import that climbs out of the package resolves like any other.
    assert "lrs/sub/__init__.py imports projections" in offenders("lrs", ("projections",), tmp_path)
