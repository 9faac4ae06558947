# The two quick-start commands: `make build` and `make test`. Both set up what they need.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup build check test test-fast lint bench visual clean messages docs

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

# After changing a label in a template: re-extract the catalogue and update every language's.
messages: setup
	$(BIN)/python scripts/messages.py

# After changing the schema: regenerate the field reference in docs/module-format.md.
docs: setup
	$(BIN)/python scripts/field-reference.py
