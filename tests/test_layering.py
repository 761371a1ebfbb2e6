"""Imports flow down the pipeline (DESIGN.md): a stage never imports a later one.

``core`` <- ``ingest`` <- ``quality`` <- ``features`` <- ``train``/``evaluate`` <- ``registry``
<- ``serve`` <- ``monitor``; ``terminology``, ``report``, ``audit`` (and ``errors``) may be
imported by any stage; only ``cli`` and ``web`` import everything, and no stage imports them
(the CLI may import ``web``: ``wardwatch serve`` starts the app with its dashboard; ``web``
never imports the CLI).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "wardwatch"

SHARED = {"errors", "terminology", "report", "audit"}
RANK = {
    "core": 1,
    "ingest": 2,
    "synth": 2,
    "llm": 2,
    "quality": 3,
    "documents": 3,
    "features": 4,
    "train": 5,
    "evaluate": 5,
    "registry": 6,
    "serve": 7,
    "monitor": 8,
    "drills": 9,
    "cli": 10,
    "web": 10,
}
SHELLS = {"cli", "web"}


def _package_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    return (
        rel.parts[0].removesuffix(".py")
        if len(rel.parts) > 1 or rel.stem != "__init__"
        else "__init__"
    )


def _imported(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "wardwatch" and len(parts) > 1:
                found.add(parts[1])
    return found


def violations(root: Path) -> list[str]:
    """Every import in the tree at ``root`` that goes against the pipeline's direction."""
    out: list[str] = []
    for path in sorted(root.rglob("*.py")):
        pkg = _package_of(path, root)
        for target in _imported(ast.parse(path.read_text(), str(path))):
            if target == pkg or pkg == "__main__":  # __main__ is the CLI's `python -m` entry
                continue
            where = f"{path.relative_to(root)} imports wardwatch.{target}"
            if target in SHELLS and not (pkg == "cli" and target == "web"):
                out.append(f"{where}: nothing may import the {target} shell")
            elif pkg in SHELLS or target in SHELLS or target == "errors":
                continue
            elif pkg == "__init__":
                out.append(f"{where}: the top-level package imports no stage")
            elif target in SHARED:
                if pkg in SHARED and target != "errors" and pkg != "audit":
                    out.append(f"{where}: shared modules stay independent of each other")
            elif pkg in SHARED:
                if RANK.get(target, 99) > RANK["core"]:
                    out.append(f"{where}: shared modules may import only core and errors")
            elif target not in RANK:
                out.append(f"{where}: unknown package {target}; add it to the layering map")
            elif pkg not in RANK:
                out.append(f"{path.relative_to(root)}: unknown package {pkg}; add it to the map")
            elif RANK[target] >= RANK[pkg]:
                out.append(
                    f"{where}: {pkg} (layer {RANK[pkg]}) may not import {target} "
                    f"(layer {RANK[target]})"
                )
    return out


def test_imports_flow_down_the_pipeline() -> None:
    assert violations(SRC) == []


def test_every_package_is_on_the_map() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(RANK) | SHARED


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("ingest/x.py", "from wardwatch.quality import gate", "ingest (layer 2) may not import"),
        ("core/x.py", "import wardwatch.ingest.fhir", "core (layer 1) may not import"),
        ("serve/x.py", "from wardwatch.cli.main import app", "nothing may import the cli"),
        ("terminology/x.py", "from wardwatch.ingest import x", "shared modules may import only"),
        ("quality/x.py", "from wardwatch.ingest import ingest", None),
        ("quality/x.py", "from wardwatch.terminology import icd10", None),
        ("cli/x.py", "from wardwatch.monitor import run", None),
        ("cli/x.py", "from wardwatch.web import build_web_app", None),
        ("web/x.py", "from wardwatch.cli.main import app", "nothing may import the cli"),
        ("monitor/x.py", "from wardwatch.web import mount_ui", "nothing may import the web"),
    ],
)
def test_checker_catches_backwards_imports(
    tmp_path: Path, module: str, source: str, expected: str | None
) -> None:
    path = tmp_path / module
    path.parent.mkdir(parents=True)
    (path.parent / "__init__.py").write_text("")
    path.write_text(source + "\n")
    found = violations(tmp_path)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert expected in found[0]
