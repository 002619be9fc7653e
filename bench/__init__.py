"""Benchmarks (issue 5): each module runs with `.venv/bin/python -m bench.<name>` and writes bench/reports/."""
