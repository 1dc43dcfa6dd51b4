# The two commands: `make run` starts the gateway, `make test` runs every test.
# Both create the virtual environment in .venv when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: run test faults soak corpus accuracy bench lint check-config clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake-gateway serve --config $(CONFIG)

PRISM := tests/twilio/node_modules/.bin/prism

test: $(STAMP)
	@.ci/packages
	@test -x $(PRISM) || (cd tests/twilio && npm ci --no-audit --no-fund)
	$(BIN)/python -m pytest

# The fault suite (README "Guarantees"): the long tests marked `faults` (fuzzing with many
# more examples, ...) and the kill -9 and outage tests marked `faultsuite` with FAULT_TRIALS
# trials per channel (make test runs those with 4); each prints its figures and seed.
FAULT_TRIALS ?= 50
faults: $(STAMP)
	@.ci/packages
	@test -x $(PRISM) || (cd tests/twilio && npm ci --no-audit --no-fund)
	FAULT_TRIALS=$(FAULT_TRIALS) $(BIN)/python -m pytest -m 'faults or faultsuite' -s -q

# The long version: ten times the kill -9 trials.
soak: $(STAMP)
	$(MAKE) faults FAULT_TRIALS=500

# The shared corpus of real mail (../shared/corpus) through `ingest --dry-run --json`.
corpus: $(STAMP)
	$(BIN)/python .ci/corpus.py

# The labelled accuracy set (accuracy/) and public labelled mail through
# `ingest --dry-run --json`: figures by category; fails below the thresholds.
accuracy: $(STAMP)
	$(BIN)/python accuracy/run.py

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.mail
	$(BIN)/python -m bench.smtp
	@test -x $(PRISM) || (cd tests/twilio && npm ci --no-audit --no-fund)
	$(BIN)/python -m bench.paging
	$(BIN)/python -m bench.intake --json bench-intake.json

lint: $(STAMP)
	$(BIN)/python -m mypy

check-config: $(STAMP)
	$(BIN)/intake-gateway check-config --config $(CONFIG)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .cache
