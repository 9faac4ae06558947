# The two quick-start commands: `make build` and `make test`. Both set up what they need.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup build check test test-fast lint bench visual clean

setup:
	@scripts/setup.sh

build: setup
	$(BIN)/hscourse build

check: setup
	$(BIN)/hscourse check

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal

# The inner loop: everything that does not render PDFs.
test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal -m "not slow"

lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy

clean:
	rm -rf dist .venv

bench: setup
	$(BIN)/python scripts/bench.py

visual: setup
	$(BIN)/python scripts/visual-check
