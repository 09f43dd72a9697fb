# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint eval bench train clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null
	$(BIN)/pip install -e '.[hf,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/monitor replay samples/demo --output text

test: $(STAMP)
	$(BIN)/ruff check monitor classifiers tests bench
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check monitor classifiers tests bench

eval: $(STAMP)
	$(BIN)/monitor evaluate

train: $(STAMP)
	$(BIN)/monitor train

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
