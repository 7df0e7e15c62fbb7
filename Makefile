# newsdesk developer loop. `make help` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup chat index stats test lint fix bench fit clean

help:  ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml docker/steps.sh
	# The Docker image's own install step (CPU torch first and pinned: a bare `torch` pulls
	# CUDA, several GB), so CI exercises it; then newsdesk itself, editable, with dev tools.
	sh docker/steps.sh deps $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install newsdesk with its dev tools

index: setup  ## build (incrementally) the index of data/articles
	$(BIN)/newsdesk index build

stats: setup  ## print index statistics
	$(BIN)/newsdesk index stats

chat: index  ## set up, build the index of the sample corpus, open the REPL
	$(BIN)/newsdesk chat

test: lint  ## set up and run the whole test suite (what CI runs)
	$(BIN)/pytest

lint: setup  ## ruff, and hadolint on the Dockerfile (Docker cannot run here; its steps are docker/steps.sh)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

fix: setup  ## ruff --fix and format
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: setup  ## quality (retrieval, answers, gap) and speed (build vs LlamaIndex, serving at 20k chunks, growth, start-up); needs ../shared/bench; hours with torch
	mkdir -p var/bench
	$(BIN)/python bench/retrieval_quality.py --cache-dir var/bench
	$(BIN)/python bench/answer_quality.py --cache-dir var/bench
	$(BIN)/python bench/retrieval_gap.py --cache-dir var/bench
	$(BIN)/python bench/build_speed.py
	$(BIN)/python bench/serve_speed.py --index-dir var/bench/serve-13w
	$(BIN)/python bench/growth.py
	$(BIN)/python bench/startup.py

fit: setup  ## refit the learned ranker, refusal and sentence choice on the tune split, report both halves (needs ../shared/bench)
	mkdir -p var/bench
	$(BIN)/python bench/fit_ranker.py --cache-dir var/bench
	$(BIN)/python bench/fit_choice.py --cache-dir var/bench

clean:  ## remove the venv and the local index
	rm -rf $(VENV) var/
