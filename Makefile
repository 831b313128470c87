# Every target sets up what it needs: .venv on first use, node_modules from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup test demo compile clean

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: setup
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/twinledger demo

compile: setup
	$(BIN)/twinledger compile

clean:
	rm -rf $(VENV) node_modules .pytest_cache
