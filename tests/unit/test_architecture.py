"""Dependencies point one way: pages -> components -> services -> ports <- adapters; jobs -> core.

`FORBIDDEN` is the whole rule book: per layer (a dotted module prefix), the prefixes its
modules must never import, with the reason. Imports are read from the source (ast), at any
depth: inside functions and `TYPE_CHECKING` blocks too, since a deferred import is still
a dependency. After modules move, update the prefixes here, not the test.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("app.py", "pages", "components", "jobs", "core", "scripts", "seeds")
OUTER_LAYERS = ("app", "pages", "components", "jobs")

PROVIDERS = "core.adapters.providers"
VENDORS = ("local", "fal", "google", "wavespeed", "kie")
# layer prefix -> (forbidden prefixes, why)
FORBIDDEN: dict[str, tuple[tuple[str, ...], str]] = {
    "core": (OUTER_LAYERS, "core is below every entry point"),
    "core.services": (
        ("core.bootstrap", "core.adapters.providers"),
        "services get their adapters through the ports (core.ports_services.Services), never a vendor adapter",
    ),
    "core.adapters": (("core.bootstrap", "core.services"), "adapters implement ports; they know no service"),
    "core.ports": (("core.adapters", "core.services", "core.bootstrap"), "ports speak domain types only"),
    "core.ports_services": (("core.adapters", "core.services", "core.bootstrap"), "ports speak domain types only"),
    "core.vendor_choice": (("core.adapters", "core.services", "core.bootstrap"), "a pure rule over the settings"),
    "core.domain": (("core.adapters", "core.services", "core.bootstrap", "core.ports"), "domain types stand alone"),
    **{
        f"{PROVIDERS}.{vendor}": (
            tuple(f"{PROVIDERS}.{other}" for other in VENDORS if other != vendor),
            "one package per vendor: a vendor's adapters share only the HTTP plumbing and the ports",
        )
        for vendor in VENDORS
    },
    f"{PROVIDERS}.http": (
        tuple(f"{PROVIDERS}.{vendor}" for vendor in VENDORS),
        "the shared HTTP plumbing knows no vendor",
    ),
    "jobs": (("pages", "components", "app"), "jobs run in workers, without any page"),
    "components": (("pages", "app", "core.adapters"), "components call services, never adapters or pages"),
    "pages": (("app", "core.adapters"), "pages compose components and call services"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name a (possibly relative) `from ... import` names."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".")
    base = package[: len(package) - node.level + (1 if _is_package(module) else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_package(module: str) -> bool:
    return (ROOT / Path(*module.split(".")) / "__init__.py").exists()


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports; `from a import b` counts as `a` and `a.b` (b may be a module)."""
    module = _module_name(path)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            names.add(source)
            names |= {f"{source}.{alias.name}" for alias in node.names if alias.name != "*"}
    return names


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _python_files() -> list[Path]:
    files: list[Path] = []
    for entry in SOURCE_FOLDERS:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def violations(rules: dict[str, tuple[tuple[str, ...], str]]) -> list[str]:
    found = []
    for path in _python_files():
        module = _module_name(path)
        imports = imported_modules(path)
        for layer, (forbidden, why) in rules.items():
            if not _within(module, layer):
                continue
            for name in sorted(imports):
                if any(_within(name, prefix) for prefix in forbidden):
                    found.append(f"{module} imports {name}: {why}")
    return found


def test_the_dependency_rules_hold() -> None:
    assert violations(FORBIDDEN) == []


def test_the_rules_catch_a_forbidden_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a service importing a vendor adapter (even deferred) is reported."""
    service = tmp_path / "core" / "services" / "sample.py"
    service.parent.mkdir(parents=True)
    for package in (tmp_path / "core", service.parent):
        (package / "__init__.py").write_text("")
    service.write_text(
        "from core.ports_services import Services\n"
        "def f():\n"
        "    from core.adapters.providers import registry\n"
        "    from core.adapters.db.models import Job\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations(FORBIDDEN)
    assert found == [
        "core.services.sample imports core.adapters.providers: " + FORBIDDEN["core.services"][1],
        "core.services.sample imports core.adapters.providers.registry: " + FORBIDDEN["core.services"][1],
    ]


def test_relative_imports_are_resolved() -> None:
    node = ast.parse("from ..adapters.providers import registry").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("core.services.sample", node) == "core.adapters.providers"


# --------------------------------------------------------------------------- earlier rules, kept


def _top_level_imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def _files_under(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["core", "jobs", "seeds"])
def test_no_streamlit_below_the_pages(folder: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _files_under(folder) if "streamlit" in _top_level_imports(p)]
    assert offenders == []


def test_pages_speak_to_services_not_adapters() -> None:
    offenders = []
    for path in _files_under("pages") + _files_under("components"):
        text = path.read_text(encoding="utf-8")
        imports = _top_level_imports(path)
        if "core.adapters" in text or "sqlalchemy" in imports or "httpx" in imports:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
