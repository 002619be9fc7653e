"""experiments/ is layered, and a module imports only from its own layer or the layers below it.

From the bottom: config, presets and tracking; corpus and lms; records; report; run; study; the seven
commands. So nothing below the commands imports a command, and no command imports another command.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {"compile", "generate", "evaluate", "calibrate", "worker", "shard", "judgecheck"}
LAYERS = [{"config", "presets", "tracking"}, {"corpus", "lms"}, {"records"}, {"report"}, {"run"}, {"study"}, COMMANDS]
# The config's `models` section lives beside the factory that reads it (it imports nothing above config).
EXCEPTIONS = {("experiments/config.py", "experiments.lms.role_models")}


def unit(module: str) -> str | None:
    """The folder or top-level module of experiments/ that `module` belongs to (None: outside experiments)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "experiments" and len(parts) > 1 else None


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def layer(name: str) -> int:
    return next(i for i, units in enumerate(LAYERS) if name in units)


def violations() -> list[str]:
    bad = []
    for path in sorted((ROOT / "experiments").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if path.name == "__init__.py" and path.parent.name == "experiments":
            continue
        source = rel.parts[1].removesuffix(".py")
        for module in sorted(imports(path)):
            target = unit(module)
            if target is None or target == source or (str(rel), module) in EXCEPTIONS:
                continue
            if layer(target) > layer(source) or (source in COMMANDS and target in COMMANDS):
                bad.append(f"{rel} imports {module}")
    return bad


def test_every_folder_and_module_of_experiments_has_a_layer():
    names = {p.name.removesuffix(".py") for p in (ROOT / "experiments").iterdir() if p.suffix == ".py" or p.is_dir()}
    names -= {"__init__", "__pycache__"}
    assert names == set().union(*LAYERS)


def test_experiments_imports_flow_down_the_layers():
    assert violations() == []
