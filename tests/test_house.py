"""The house: a core that knows no web under one web folder, and no import circles."""

from __future__ import annotations

import ast
import subprocess
import sys

from lookup import PROJECT_DIR
from lookup.answer import MILESTONE_TITLES
from lookup.orders import MILESTONES

PACKAGES = ("lookup", "search")


def module_imports() -> dict[str, set[str]]:
    """Each module of our packages and the modules of ours it imports (at any depth)."""
    modules = {}
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            name = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            # A module's own parent packages are imported with it anyway: no edge.
            edges[name] |= {t for t in targets
                            if t in modules and t != name and not name.startswith(t + ".")}
    return edges


def test_the_core_imports_no_flask():
    code = ("import lookup, lookup.answer, lookup.next_steps, lookup.store, lookup.importer, "
            "lookup.demo, lookup.report, lookup.insights_store, lookup.policy, lookup.personal; "
            "import sys; assert 'flask' not in sys.modules and 'werkzeug' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_DIR)


def test_only_the_web_folder_imports_flask():
    for path in (PROJECT_DIR / "lookup").rglob("*.py"):
        if "web" in path.relative_to(PROJECT_DIR / "lookup").parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "import flask" not in text and "from flask" not in text, path
        assert "werkzeug" not in text, path
    search_imports = {t for n, ts in module_imports().items() if n.startswith("search") for t in ts}
    assert not {t for t in search_imports if t.startswith("lookup")}, "search/ knows no lookup/"


def test_the_site_builds_without_flask():
    """The MkDocs hooks import only the core."""
    code = ("import runpy, sys; sys.path.insert(0, 'theme/hooks'); "
            + "; ".join(f"runpy.run_path('{p.relative_to(PROJECT_DIR)}')"
                        for p in sorted((PROJECT_DIR / "theme" / "hooks").glob("*.py")))
            + "; assert 'flask' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_DIR)


def test_no_blueprint_imports_another():
    web = {n for n in module_imports() if n.startswith("lookup.web.")}
    blueprints = {n for n in web if "bp = Blueprint(" in
                  (PROJECT_DIR / (n.replace(".", "/") + ".py")).read_text(encoding="utf-8")}
    edges = module_imports()
    for name in blueprints:
        assert not edges[name] & blueprints, f"{name} imports {edges[name] & blueprints}"


def test_no_import_circles():
    edges = module_imports()
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                circle = trail[trail.index(target):] + [target] if target in trail else [target]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_every_milestone_has_its_words_and_no_more():
    assert set(MILESTONE_TITLES) == {code for code, _ in MILESTONES}
