"""The dependency direction: api -> projections -> lrs, never back; lrs.xapi is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, name in imports_of(package)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("lrs", ("api", "projections", "fastapi", "starlette", "uvicorn")),
        ("lrs.xapi", ("sqlalchemy", "alembic", "fastapi", "starlette", "lrs.db", "lrs.log")),
        ("projections", ("api", "fastapi", "starlette")),
    ],
)
def test_dependency_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    # The walker itself must see imports, or the test above proves nothing.
    names = [name for _, name in imports_of("api")]
    assert "fastapi" in names and "lrs" in names


def test_lrs_stays_free_of_the_cli() -> None:
    assert offenders("lrs", ("cli",)) == []
