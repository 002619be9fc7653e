#!/usr/bin/env bash
# Run every benchmark in turn; each writes bench/reports/<name>.md and .json.
# Usage: bench/run.sh [overhead parallel cache embedded]   (default: all four, in that order)
# The machine is shared: keep other heavy jobs off while it runs, and read the load column of each report.
set -euo pipefail
cd "$(dirname "$0")/.."
export LITELLM_LOCAL_MODEL_COST_MAP=True MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true HF_HUB_DISABLE_TELEMETRY=1
PY=.venv/bin/python
for name in "${@:-overhead parallel cache embedded}"; do
  for one in $name; do
    echo "== bench.$one" >&2
    case "$one" in
      embedded) $PY -m bench.embedded --threads 1 --no-grammar-replay ;;  # 1 thread: docs/performance.md
      *) $PY -m "bench.$one" ;;
    esac
  done
done
