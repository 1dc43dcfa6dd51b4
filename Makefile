# The two commands: `make run` starts the gateway, `make test` runs every test.
# Both create the virtual environment in .venv when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: run test corpus bench lint check-config clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake-gateway serve --config $(CONFIG)

test: $(STAMP)
	@.ci/packages
	$(BIN)/python -m pytest

# The shared corpus of real mail (../shared/corpus) through `ingest --dry-run --json`.
corpus: $(STAMP)
	$(BIN)/python .ci/corpus.py

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.mail
	$(BIN)/python -m bench.smtp
	$(BIN)/python -m bench.intake --json bench-intake.json

lint: $(STAMP)
	$(BIN)/python -m mypy

check-config: $(STAMP)
	$(BIN)/intake-gateway check-config --config $(CONFIG)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache
