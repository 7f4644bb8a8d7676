"""Dependencies point one way: pages -> components -> core, jobs -> core; core never imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["core", "jobs", "seeds"])
def test_no_streamlit_below_the_pages(folder: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _python_files(folder) if "streamlit" in _imports(p)]
    assert offenders == []


def test_core_does_not_import_outer_layers() -> None:
    outer = {"pages", "components", "jobs", "app"}
    offenders = {str(p.relative_to(ROOT)): _imports(p) & outer for p in _python_files("core") if _imports(p) & outer}
    assert offenders == {}


def test_pages_speak_to_services_not_adapters() -> None:
    offenders = []
    for path in _python_files("pages") + _python_files("components"):
        text = path.read_text(encoding="utf-8")
        if "core.adapters" in text or "sqlalchemy" in _imports(path) or "httpx" in _imports(path):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
