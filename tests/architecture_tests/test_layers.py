"""Imports flow programs <- metrics <- optimizers <- experiments; only experiments touches the outside."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["programs", "metrics", "optimizers", "experiments"]


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_imports_flow_one_way():
    for i, package in enumerate(ORDER):
        later = set(ORDER[i + 1 :])
        assert not imported_packages(package) & later, f"{package} imports from {imported_packages(package) & later}"


def test_core_packages_do_not_import_io_libraries():
    code = (
        "import sys, programs, metrics, optimizers, optimizers.registry, optimizers.search_space; "
        "bad = [m for m in ('mlflow', 'optuna', 'datasets', 'llama_cpp') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
