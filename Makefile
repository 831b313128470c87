# Every target sets up what it needs: .venv on first use, node_modules from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup test demo compile bench soak clean

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# One pytest worker per core (-n auto); each worker starts its own Anvil and embedded chain.
test: setup
	$(BIN)/python -m pytest -n auto

demo: setup
	$(BIN)/twinledger demo

compile: setup
	$(BIN)/twinledger compile

# Measures on this machine and rewrites BENCHMARKS.md; about 10 minutes on 2 cores.
bench: setup
	$(BIN)/python -m benchmarks

# The reliability suite, then 50 clients x 200 usages over HTTP; rewrites RELIABILITY.md.
soak: setup
	$(BIN)/python -m tests.reliability.soak

clean:
	rm -rf $(VENV) node_modules .pytest_cache

# Slither needs web3 below 8, so it gets its own environment. Its settings are in
# slither.config.json; scripts/run_slither.py fails on any High or Medium finding that is not
# accepted in docs/known-issues.md.
SLITHER_VENV := .venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.installed

.PHONY: slither

$(SLITHER_STAMP):
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet --upgrade pip
	$(SLITHER_VENV)/bin/pip install --quiet slither-analyzer==0.11.6 crytic-compile==0.4.2
	touch $@

slither: $(SLITHER_STAMP) $(NODE_STAMP)
	$(SLITHER_VENV)/bin/python scripts/run_slither.py

# Brownie (eth-brownie 1.22.2) pins web3 7, so it gets its own environment. tools/brownie runs it
# with tools/solc as `solc`, the npm Anvil as `anvil`, and HOME inside the environment.
# - BROWNIE_NOCOMPILE=1 builds Brownie as plain Python: the compiled 1.22.2 wheel fails every
#   `state_machine` test with "TypeError: _BrownieStateMachine object expected".
# - The adapter is linked into py-solc-x's folder as solc 0.8.30. `solcx.import_installed_solc()`
#   would copy it there instead, and the copy cannot find node_modules/solc.
# - The development network is set here because only Brownie's network list can change its
#   command: Anvil with --prune-history on 127.0.0.1:$(BROWNIE_PORT), cancun hardfork.
BROWNIE_VENV := .venv-brownie
BROWNIE_STAMP := $(BROWNIE_VENV)/.installed
BROWNIE_SOLC := $(BROWNIE_VENV)/home/.solcx/solc-v0.8.30
BROWNIE_PORT ?= 8645

.PHONY: brownie

$(BROWNIE_STAMP):
	$(PYTHON) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install --quiet --upgrade pip
	BROWNIE_NOCOMPILE=1 $(BROWNIE_VENV)/bin/pip install --quiet --no-binary eth-brownie eth-brownie==1.22.2
	touch $@

brownie: $(BROWNIE_STAMP) $(NODE_STAMP)
	mkdir -p $(dir $(BROWNIE_SOLC))
	ln -sfn $(CURDIR)/tools/solc $(BROWNIE_SOLC)
	tools/brownie networks modify development cmd="anvil --prune-history --host 127.0.0.1" \
		port=$(BROWNIE_PORT) evm_version=cancun > /dev/null
	@$(BROWNIE_VENV)/bin/python -c 'import socket, sys; \
		busy = socket.socket().connect_ex(("127.0.0.1", $(BROWNIE_PORT))) == 0; \
		sys.exit("port $(BROWNIE_PORT) is in use: stop that node or run make brownie BROWNIE_PORT=N" if busy else 0)'
	tools/brownie compile
	tools/brownie test -v
