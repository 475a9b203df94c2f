# Developer and CI entry points for mailflow.exchange. `make help` lists them.
#
# Everything runs from a virtualenv built from the pinned requirements. The
# ansible-test targets run in a copy of the checkout laid out as
# ansible_collections/mailflow/exchange (ansible-test only works there); the
# demo uses a symlink to the checkout instead.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# `make test` must run its steps in order and stop at the first failure.
.NOTPARALLEL:

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
# The Python version ansible-test runs with; the venv must have it.
TEST_PYTHON ?= 3.11
BUILD_DIR ?= $(CURDIR)/.build
LAB_DIR ?= $(CURDIR)/.lab
LAB_TIMEOUT ?= 60
LAB_COMMAND ?= $(VENV)/bin/exchange-lab
# Free ports picked by the OS, fresh state on every start.
# The relay demo and tests need a server certificate for mail.contoso.lab and an expired one.
LAB_ARGS ?= --port 0 --https-port 0 --reset --certificate mail.contoso.lab --expired-certificate expired.contoso.lab
# Integration targets to run (default: all); e.g. INTEGRATION_TARGETS=lab_smoke
INTEGRATION_TARGETS ?=

BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.mailflow-exchange.stamp
TEST_TREE := $(BUILD_DIR)/test
COLLECTION := $(TEST_TREE)/ansible_collections/mailflow/exchange
DEMO_TREE := $(BUILD_DIR)/demo
JUNIT_DIR := $(BUILD_DIR)/junit
LAB_STATE := $(LAB_DIR)/state
LAB_PROCESS := $(BIN)/python $(CURDIR)/tests/utils/lab_process.py --state $(LAB_STATE) \
	--pid-file $(LAB_DIR)/lab.pid --log-file $(LAB_DIR)/lab.log \
	--command $(LAB_COMMAND) --timeout $(LAB_TIMEOUT)
LAB_ENV := $(BIN)/python $(CURDIR)/tests/utils/lab_env.py --state $(LAB_STATE)
SUBMAKE := $(MAKE) --no-print-directory

# ansible-test and the playbooks it runs find this venv's tools first.
export PATH := $(BIN):$(PATH)
# Keep pip chatter out of the logs; failures still print.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv demo test sanity units lab-tests integration bench lab-start lab-stop lab-env \
	tree demo-tree ansible-test-pip build-collection clean

help:
	@echo 'make venv         create $(VENV) from the pinned requirements (idempotent)'
	@echo 'make demo         run playbooks/demo.yml against a local lab'
	@echo 'make test         sanity, units, lab-tests, integration (what CI runs)'
	@echo 'make sanity       ansible-test sanity --python $(TEST_PYTHON)'
	@echo 'make units        ansible-test units --python $(TEST_PYTHON)'
	@echo 'make lab-tests    pytest tests/lab/tests'
	@echo 'make integration  ansible-test integration against a local lab'
	@echo 'make bench        benchmark against lab servers (not part of test; BENCH_* set sizes)'
	@echo 'make lab-start    start the lab in the background ($(LAB_STATE)/lab.json)'
	@echo 'make lab-stop     stop it'
	@echo 'make lab-env      print export lines for the running lab (eval "$$(make -s lab-env)")'
	@echo 'make build-collection  ansible-galaxy collection build into $(BUILD_DIR)'
	@echo 'make clean        remove .build and .lab (keeps the venv)'

# --- virtualenv -------------------------------------------------------------

venv: $(VENV_STAMP)
	@:

# Rebuilt only when a requirements file changes. pip's output goes to a log
# that is shown when pip fails.
$(VENV_STAMP): requirements.txt requirements-dev.txt constraints.txt tests/lab/pyproject.toml
	@echo '==> venv $(VENV)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
		sys.exit(0 if v == "$(TEST_PYTHON)" else "$(VENV) has Python %s, need $(TEST_PYTHON): set PYTHON=python$(TEST_PYTHON)" % v)'
	@$(BIN)/python -m pip install -r requirements-dev.txt -c constraints.txt >$(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -m pip install -c constraints.txt -e tests/lab >>$(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	@touch $@

# --- collection trees ---------------------------------------------------------

tree: venv
	@echo '==> collection tree $(COLLECTION)'
	@$(BIN)/python $(CURDIR)/tests/utils/collection_tree.py build $(TEST_TREE) >/dev/null

demo-tree: venv
	@$(BIN)/python $(CURDIR)/tests/utils/collection_tree.py link $(DEMO_TREE) >/dev/null

# ansible-test bootstraps pip in its venvs with a script from a host we cannot
# reach; seed its cache with tests/utils/get_pip_offline.py instead.
ansible-test-pip: venv
	@$(BIN)/python $(CURDIR)/tests/utils/seed_get_pip.py

# --- tests ------------------------------------------------------------------

# Not part of `make test`: it measures, it does not judge (tests/bench/bench.py says how).
# Starts its own labs (BENCH_SERVERS of them) on free ports; results in $(BUILD_DIR)/bench.
bench: venv
	@echo '==> benchmark (tests/bench/bench.py)'
	@BENCH_DIR=$(BUILD_DIR)/bench $(BIN)/python $(CURDIR)/tests/bench/bench.py

test: sanity units lab-tests integration
	@$(BIN)/python $(CURDIR)/tests/utils/junit_summary.py $(JUNIT_DIR) $(COLLECTION)/tests/output/junit

# Only Python $(TEST_PYTHON) exists in the venv, so version-specific tests
# (compile, import) run for it alone.
# ansible-test installs each sanity test's pinned requirements into its own
# venv under ~/.ansible/test/venv (reused while the pins are unchanged); prime
# them first so pip's chatter lands in a log that is shown only on failure.
sanity: tree ansible-test-pip
	@echo '==> ansible-test sanity'
	@cd $(COLLECTION) && ansible-test sanity --prime-venvs --python $(TEST_PYTHON) \
		>$(BUILD_DIR)/sanity-venvs.log 2>&1 || { cat $(BUILD_DIR)/sanity-venvs.log; exit 1; }
	@cd $(COLLECTION) && ansible-test sanity --python $(TEST_PYTHON) --junit

units: tree
	@echo '==> ansible-test units'
	@cd $(COLLECTION) && ansible-test units --python $(TEST_PYTHON)

lab-tests: venv
	@echo '==> pytest tests/lab/tests'
	@mkdir -p $(JUNIT_DIR)
	@$(BIN)/python -m pytest tests/lab/tests -q -p no:cacheprovider --junitxml $(JUNIT_DIR)/lab-tests.xml

# ansible-test hands the playbooks a filtered environment, so the lab's address
# reaches them as extra vars from tests/integration/integration_config.yml.
# The integration lab speaks German (NT-AUTORITÄT\ANONYMOUS-ANMELDUNG ...): the targets are
# written with English principal names, so they prove that principals are matched by SID.
INTEGRATION_LAB_LANGUAGE ?= de

integration: tree
	@echo '==> ansible-test integration (lab language: $(INTEGRATION_LAB_LANGUAGE))'
	@trap '$(SUBMAKE) -C $(CURDIR) lab-stop' EXIT; \
	EXCHANGE_LAB_LANGUAGE=$(INTEGRATION_LAB_LANGUAGE) $(SUBMAKE) lab-start; \
	EXCHANGE_LAB_LANGUAGE=$(INTEGRATION_LAB_LANGUAGE) $(LAB_ENV) integration-config --out $(COLLECTION)/tests/integration/integration_config.yml; \
	cd $(COLLECTION) && ansible-test integration --local --python $(TEST_PYTHON) $(INTEGRATION_TARGETS)

# --- lab and demo -----------------------------------------------------------

lab-start: venv
	@$(LAB_PROCESS) start -- $(LAB_ARGS)

lab-stop:
	@if test -f $(LAB_DIR)/lab.pid; then $(LAB_PROCESS) stop; fi

lab-env:
	@$(LAB_ENV) exports

demo: demo-tree
	@trap '$(SUBMAKE) -C $(CURDIR) lab-stop' EXIT; \
	$(SUBMAKE) lab-start; \
	lab_env=$$($(LAB_ENV) exports); eval "$$lab_env"; \
	LAB_JSON=$(LAB_STATE)/lab.json ANSIBLE_COLLECTIONS_PATH=$(DEMO_TREE) ANSIBLE_LOCALHOST_WARNING=false \
		ANSIBLE_INVENTORY_UNPARSED_WARNING=false ansible-playbook playbooks/demo.yml

# --- packaging --------------------------------------------------------------

build-collection: venv
	@ansible-galaxy collection build --force --output-path $(BUILD_DIR) .

clean:
	rm -rf $(BUILD_DIR) $(LAB_DIR)
