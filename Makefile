# The newcomer's two commands: `make demo` and `make test`. Each creates .venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: demo demo-images test system-deps lint typecheck unit bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "candor needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# stamps: reinstall only when pyproject.toml changes
# the demo serves its champion through the checked ONNX export: the onnx extra (about 40 MB)
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[onnx]'
	@touch $@

# --images trains the CNN rung: PyTorch's CPU wheel as well (about 870 MB)
$(VENV)/.installed-images: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[nn,onnx]'
	@touch $@ $(VENV)/.installed-demo

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,nn,onnx]'
	@touch $@ $(VENV)/.installed-demo $(VENV)/.installed-images

demo: $(VENV)/.installed-demo
	$(BIN)/candor demo

demo-images: $(VENV)/.installed-images
	$(BIN)/candor demo --images

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest -n 2 --doctest-modules src/candor tests

# chromium (the web tests' browser) and PostgreSQL (the log tests' cluster), installed when missing;
# first, so a clean clone on a bare machine needs nothing done by hand. The demo needs neither.
system-deps:
	bash scripts/system-deps.sh

test: system-deps lint typecheck unit

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bootstrap.py

clean:
	rm -rf $(VENV) candor-demo candor-demo-images .pytest_cache .mypy_cache .ruff_cache
