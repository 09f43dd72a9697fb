# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
# The demo needs only the lean default install (no torch); the tests add the [hf,dev] extras.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
FULL := $(VENV)/.installed-full

.PHONY: venv demo test lint eval bench train clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null

$(BASE): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $(BASE)

$(FULL): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[hf,dev]'
	touch $(FULL) $(BASE)

venv: $(FULL)

demo: $(BASE)
	$(BIN)/monitor replay samples/demo --output text

test: $(FULL)
	$(BIN)/ruff check monitor classifiers tests bench
	$(BIN)/pytest -q

lint: $(FULL)
	$(BIN)/ruff check monitor classifiers tests bench

eval: $(BASE)
	$(BIN)/monitor evaluate

train: $(BASE)
	$(BIN)/monitor train

bench: $(FULL)
	$(BIN)/python -m bench.classify_speed
	$(BIN)/python -m bench.e2e
	$(BIN)/python -m bench.stories

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
