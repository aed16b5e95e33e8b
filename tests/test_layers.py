"""The architecture's import rules, enforced: a static scan of every module's imports, a
subprocess that imports each layer and inspects ``sys.modules``, and import-linter's contracts."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pricing", "marketdata", "strategies", "tui")
# Which layers each layer may import (ARCHITECTURE.md: tui -> strategies -> marketdata -> pricing).
ALLOWED_LAYERS = {
    "pricing": {"pricing"},
    "marketdata": {"marketdata", "pricing"},
    "strategies": {"strategies", "marketdata", "pricing"},
    "tui": set(PACKAGES),
}
# Third-party libraries owned by one place only.
OWNED = {
    "QuantLib": ("pricing/",),
    "vollib": ("pricing/",),
    "lets_be_rational": ("pricing/",),
    "py_lets_be_rational": ("pricing/",),
    "textual": ("tui/",),
    "textual_plotext": ("tui/",),
    "yfinance": ("marketdata/sources/yahoo.py",),
    # Rendering (rich tables, the typer verbs, matplotlib charts) is a face's job, never the core's.
    "rich": ("tui/",),
    "typer": ("tui/",),
    "matplotlib": ("tui/",),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_every_module_respects_the_layers_and_library_owners() -> None:
    problems: list[str] = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        layer = rel.split("/", 1)[0]
        for lineno, module in _imports(path):
            top = module.split(".", 1)[0]
            if top in PACKAGES and top not in ALLOWED_LAYERS[layer]:
                problems.append(f"{rel}:{lineno} imports {module} (layer {layer} may not)")
            owners = OWNED.get(top)
            if owners and not any(rel.startswith(o) for o in owners):
                problems.append(f"{rel}:{lineno} imports {module} (only {owners} may)")
    assert not problems, "\n".join(problems)


def test_core_never_reads_the_clock() -> None:
    banned = {"today", "now", "utcnow"}
    problems: list[str] = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tui/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in banned
                and isinstance(node.func.value, (ast.Name, ast.Attribute))
                and getattr(node.func.value, "id", getattr(node.func.value, "attr", ""))
                in {"date", "datetime"}
            ):
                problems.append(f"{rel}:{node.lineno} calls {node.func.attr}()")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("pricing", ["textual", "yfinance", "marketdata", "strategies", "tui"]),
        ("marketdata", ["textual", "yfinance", "strategies", "tui"]),
        ("strategies", ["textual", "yfinance", "tui"]),
    ],
)
def test_importing_a_layer_loads_nothing_above_it(layer: str, forbidden: list[str]) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({layer!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [name for name in {forbidden!r} if name in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"importing {layer} loaded {out.stdout.strip()}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed in this environment")
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_app_and_the_verbs_share_the_core_not_each_other() -> None:
    """Two faces, one core (ARCHITECTURE.md "One core, two faces"): no module of the app (every
    ``tui`` module but the verbs in ``tui/commands/``, the ``hedge`` entry ``tui/cli.py`` and
    ``tui/__main__.py``) imports the verbs or the entry point; the verbs and their rich rendering
    (``tui/render.py``) never import textual themselves."""
    faces = {"tui/cli.py", "tui/__main__.py"}
    problems: list[str] = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        is_verb = rel.startswith("tui/commands/") or rel in faces
        for lineno, module in _imports(path):
            if not is_verb and (
                module == "tui.commands" or module.startswith(("tui.commands.", "tui.cli"))
            ):
                problems.append(
                    f"{rel}:{lineno} imports {module} (the app must call the core, not the verbs)"
                )
            if ((is_verb and rel not in faces) or rel == "tui/render.py") and module.split(".")[
                0
            ] in ("textual", "textual_plotext"):
                problems.append(
                    f"{rel}:{lineno} imports {module} (the verbs do not draw with textual)"
                )
    assert not problems, "\n".join(problems)
