"""testkit/ is for tests and benchmarks: no product package imports it or tests/, and bench/ never imports tests/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["programs", "metrics", "optimizers", "experiments"]


def importers(package: str, folders: list[str]) -> list[str]:
    """Files under `folders` that import `package` (or a module inside it)."""
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                if any(name.split(".")[0] == package for name in names):
                    found.append(str(path.relative_to(ROOT)))
                    break
    return found


def test_product_packages_do_not_import_testkit_or_tests():
    assert importers("testkit", PRODUCT) == []
    assert importers("tests", PRODUCT) == []


def test_bench_and_testkit_do_not_import_tests():
    assert importers("tests", ["bench", "testkit"]) == []
