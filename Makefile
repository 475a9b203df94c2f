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
# ansible-core releases CI tests (meta/runtime.yml requires_ansible names the same). The default venv
# runs the oldest, 2.19 on Python 3.11, from constraints.txt: the lower bounds of requirements.txt. Each
# newer release has a venv of its own (.venv-<core>) on its Python, from constraints-<core>.txt.
MATRIX_CORES := 2.20 2.21
MATRIX_PYTHON_2.20 := 3.12
MATRIX_PYTHON_2.21 := 3.13
NEWEST_CORE := $(lastword $(MATRIX_CORES))
# pyenv's interpreters (CI's image has the same) for the newer releases and the wheels. pyenv is looked for
# where it says it is, then in HOME, then where the machines' image installs it (/root/.pyenv): CI may run
# with a fresh HOME and a PATH without pyenv.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
PYENV_ROOTS := $(PYENV_ROOT) $(HOME)/.pyenv /root/.pyenv
# CORE=<release> points every target at that release's venv and build directory.
CORE ?=
ifeq ($(strip $(CORE)),)
VENV ?= $(CURDIR)/.venv
# The Python version ansible-test runs with; the venv must have it.
TEST_PYTHON ?= 3.11
BUILD_DIR ?= $(CURDIR)/.build
CONSTRAINTS := constraints.txt
else
ifeq ($(MATRIX_PYTHON_$(CORE)),)
$(error CORE=$(CORE): not one of the tested releases ($(MATRIX_CORES)))
endif
VENV := $(CURDIR)/.venv-$(CORE)
TEST_PYTHON := $(MATRIX_PYTHON_$(CORE))
BUILD_DIR := $(CURDIR)/.build/core-$(CORE)
CONSTRAINTS := constraints-$(CORE).txt
# The lab is a tool of the default venv; the core's venv holds only what users install.
LAB_COMMAND := $(CURDIR)/.venv/bin/exchange-lab
# pyenv's interpreter for this release (PYENV_ROOTS), else one on PATH.
PYTHON := $(firstword $(wildcard $(foreach root,$(PYENV_ROOTS),$(root)/versions/$(TEST_PYTHON)*/bin/python$(TEST_PYTHON))) \
	python$(TEST_PYTHON))
endif
LAB_DIR ?= $(CURDIR)/.lab
LAB_TIMEOUT ?= 60
LAB_COMMAND ?= $(VENV)/bin/exchange-lab
# Free ports picked by the OS, fresh state on every start.
# The relay demo and tests need a server certificate for mail.contoso.lab and an expired one; the
# audit and renewal tests one for soon.contoso.lab that expires in 10 days and its renewal from another CA.
# --kerberos: a private MIT KDC (realm LAB.TEST) and the Negotiate/Kerberos listener (needs kerberos-deps).
LAB_ARGS ?= --port 0 --https-port 0 --reset --certificate mail.contoso.lab --expired-certificate expired.contoso.lab \
	--certificate-days soon.contoso.lab=10 --reissued-certificate soon.contoso.lab --kerberos
# Behaviours the docs leave open that the lab plays instead of its default reading (tests/lab/README.md,
# "Variants"), space separated, e.g. LAB_VARIANTS="identity-miss-returns-all exo-replication-lag=2".
LAB_VARIANTS ?=
LAB_VARIANT_ARGS = $(foreach variant,$(LAB_VARIANTS),--variant $(variant))

# Integration targets to run (default: all); e.g. INTEGRATION_TARGETS=lab_smoke
INTEGRATION_TARGETS ?=
# `make test` runs all targets as two ansible-test runs in parallel, each with its own tree and
# lab (the machine has two cores; one run took about 13 minutes). Half b is this list; half a is
# everything else, so a new target lands in half a without editing anything.
INTEGRATION_HALF_B := concurrency fault_matrix session_reuse receive_connector_certificate \
	inbound_connector_export exchange_certificate_info receive_connector_preview ad_permission \
	tls_validation receive_connector_info
# Targets in neither half: the roles run on the default core in the variant matrix (under the readings it
# plays) and on the newest core in its smoke set (under the lab's default reading). A third run, on the
# default core under the default reading, proved nothing that those two and the modules' own targets do not.
INTEGRATION_NOT_IN_HALVES := role_onprem_relay role_online_relay
INTEGRATION_EXCLUDE_B := $(foreach target,$(INTEGRATION_HALF_B) $(INTEGRATION_NOT_IN_HALVES),--exclude $(target))
# The variant matrix: alongside the two halves, the targets that write run again, each run against its
# own lab playing other readings of the docs (tests/lab/README.md, "Variants"). One entry per run:
# VARIANT[,VARIANT...]:TARGET[,TARGET...]; its log is $(BUILD_DIR)/integration-variant-N.log.
# The Exchange Online variants share the first run (they touch only Exchange Online); the two role (RBAC)
# refusals each need a lab of their own, as every Exchange Online request fails under them.
INTEGRATION_VARIANT_MATRIX := \
	identity-miss-returns-all,exo-error-details-json,exo-response-annotations,exo-replication-lag=2:receive_connector,ad_permission,role_onprem_relay,bad_input,inbound_connector,role_online_relay,change_review \
	exo-rbac-403:online_rbac \
	exo-rbac-401:online_rbac
INTEGRATION_VARIANT_RUNS := $(shell seq 1 $(words $(INTEGRATION_VARIANT_MATRIX)))
comma := ,
INTEGRATION_VARIANT_TARGETS := $(sort $(subst $(comma), ,$(foreach entry,$(INTEGRATION_VARIANT_MATRIX),$(lastword $(subst :, ,$(entry))))))
ifneq ($(filter-out $(INTEGRATION_VARIANT_TARGETS),$(INTEGRATION_NOT_IN_HALVES)),)
$(error INTEGRATION_NOT_IN_HALVES: $(filter-out $(INTEGRATION_VARIANT_TARGETS),$(INTEGRATION_NOT_IN_HALVES)) would run in no integration run)
endif

BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.mailflow-exchange.stamp
TEST_TREE := $(BUILD_DIR)/test
COLLECTION := $(TEST_TREE)/ansible_collections/mailflow/exchange
DEMO_TREE := $(BUILD_DIR)/demo
JUNIT_DIR := $(BUILD_DIR)/junit
INTEGRATION_HALVES := $(BUILD_DIR)/integration-a $(BUILD_DIR)/integration-b $(BUILD_DIR)/integration-only \
	$(foreach run,$(INTEGRATION_VARIANT_RUNS),$(BUILD_DIR)/integration-variant-$(run))
INTEGRATION_JUNIT := $(foreach half,$(INTEGRATION_HALVES),$(half)/test/ansible_collections/mailflow/exchange/tests/output/junit)
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

.PHONY: help kerberos-deps wheels venv demo test test-packaging integration-half integration-variants ansible-test-key matrix core-test user-text test-summary test-steps sanity units lab-tests integration secrets-scan bench lab-start lab-stop lab-env \
	tree demo-tree ansible-test-pip build-collection clean lint docs galaxy-install-test packaging-tests

help:
	@echo 'make kerberos-deps  install the MIT Kerberos packages (KDC, kinit, headers for python-gssapi) with apt-get'
	@echo 'make venv         create $(VENV) from the pinned requirements (idempotent)'
	@echo 'make demo         run playbooks/demo.yml against a local lab'
	@echo 'make test         sanity, units, lab-tests, lint, user-text, integration, secrets-scan (CI runs it, then test-packaging)'
	@echo 'make test-packaging  docs, galaxy-install-test, packaging-tests (CI runs it after test)'
	@echo 'make sanity       ansible-test sanity --python $(TEST_PYTHON)'
	@echo 'make units        ansible-test units --python $(TEST_PYTHON) (CORE=<release>: pytest with that release'"'"'s collection loader)'
	@echo 'make lab-tests    pytest tests/lab/tests'
	@echo 'make integration  ansible-test integration against a local lab'
	@echo 'make matrix       sanity and units on ansible-core $(MATRIX_CORES), integration smoke set on $(NEWEST_CORE)'
	@echo '                  (one release: make core-test CORE=$(NEWEST_CORE); any target takes CORE=<release>)'
	@echo 'make lint         ansible-lint (production profile) on roles/ and playbooks/'
	@echo 'make docs         antsibull-docs lint and HTML site ($(BUILD_DIR)/docs), ansible-doc of every plugin, changelog lint'
	@echo 'make galaxy-install-test  build the tarball, install it into an empty directory, run the demo from there'
	@echo 'make packaging-tests      AWX credential types through ansible-runner, execution environment, module_defaults groups,'
	@echo '                          the relay report in headless Chromium (needs the chromium package)'
	@echo 'make secrets-scan run the relay playbooks at -vvvv against a lab and grep for every secret'
	@echo 'make bench        benchmark against lab servers (not part of test; BENCH_* set sizes;'
	@echo '                  BENCH_QUICK=1: a quick check, on-prem and Exchange Online tasks, latency off)'
	@echo 'make lab-start    start the lab in the background ($(LAB_STATE)/lab.json); LAB_VARIANTS="NAME[=VALUE] ..." plays variants'
	@echo 'make lab-stop     stop it'
	@echo 'make lab-env      print export lines for the running lab (eval "$$(make -s lab-env)")'
	@echo 'make build-collection  ansible-galaxy collection build into $(BUILD_DIR)'
	@echo 'make clean        remove .build and .lab (keeps the venv)'

# --- system packages --------------------------------------------------------

# The Kerberos path needs MIT Kerberos: krb5-config and the headers to build
# python-gssapi (libkrb5-dev), kinit/klist (krb5-user) and, for the lab, a real
# KDC (krb5-kdc, krb5-admin-server's kadmin.local). Installed with apt-get only
# when a tool is missing, so a prepared machine needs neither root nor network.
KERBEROS_TOOLS := krb5-config kinit kdb5_util kadmin.local krb5kdc gcc
KERBEROS_DEBS := krb5-kdc krb5-admin-server krb5-user libkrb5-dev gcc
KERBEROS_PATH := $(PATH):/usr/sbin:/sbin

kerberos-deps:
	@missing=$$(for t in $(KERBEROS_TOOLS); do PATH='$(KERBEROS_PATH)' command -v $$t >/dev/null || echo $$t; done); \
	if test -z "$$missing"; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "Kerberos tools missing ($$missing) and this is not a Debian/Ubuntu system:" >&2; \
		echo "install MIT Kerberos (KDC, client tools and development headers), e.g. on Fedora/RHEL:" >&2; \
		echo "  dnf install krb5-server krb5-workstation krb5-devel gcc python3-devel" >&2; \
		exit 1; \
	fi; \
	sudo=; if test "$$(id -u)" != 0; then sudo=sudo; fi; \
	echo "==> kerberos-deps: apt-get install $(KERBEROS_DEBS) (missing: $$missing)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get update -qq >/dev/null; \
	$$sudo apt-get install -y -qq --no-install-recommends $(KERBEROS_DEBS) >/dev/null

# --- virtualenv -------------------------------------------------------------

venv: kerberos-deps $(VENV_STAMP)
	@:

# gssapi and krb5 have no Linux wheels, and compiling them is most of a venv's build time. Both build
# stable-ABI wheels (cp311-abi3), so one build serves the venvs of every tested Python: `make wheels` puts
# them in $(WHEELHOUSE), which every venv's pip install takes as --find-links (a missing one is ignored).
WHEELHOUSE := $(CURDIR)/.build/wheels
WHEELS_PYTHON = $(firstword $(wildcard $(foreach root,$(PYENV_ROOTS),$(root)/versions/3.11*/bin/python3.11)) python3)
PIP_FIND_WHEELS := --find-links $(WHEELHOUSE)
# Unoptimised (gcc's -O0, after setuptools' -O3): the bindings are thin wrappers whose speed no test feels,
# and on a machine without pip's cache the two builds, side by side, take about 40 s instead of three minutes.
WHEELS_CFLAGS := -O0 -g0
wheels: kerberos-deps
	@echo '==> wheels $(WHEELHOUSE) (gssapi, krb5)'
	@mkdir -p $(WHEELHOUSE)
	@for package in gssapi krb5; do \
		CFLAGS='$(WHEELS_CFLAGS)' $(WHEELS_PYTHON) -m pip wheel -q --no-deps -c constraints.txt -w $(WHEELHOUSE) \
			"$$(grep -E "^$$package\b" requirements.txt)" >$(WHEELHOUSE)-$$package.log 2>&1 & \
	done; rc=0; for job in $$(jobs -p); do wait $$job || rc=1; done; \
	[ $$rc = 0 ] || { cat $(WHEELHOUSE)-*.log; exit 1; }

# Rebuilt only when a requirements file changes. pip's output goes to a log
# that is shown when pip fails.
$(VENV_STAMP): requirements.txt requirements-dev.txt $(CONSTRAINTS) tests/lab/pyproject.toml
	@echo '==> venv $(VENV)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
		sys.exit(0 if v == "$(TEST_PYTHON)" else "$(VENV) has Python %s, need $(TEST_PYTHON): set PYTHON=python$(TEST_PYTHON)" % v)'
ifeq ($(strip $(CORE)),)
	@$(BIN)/python -m pip install $(PIP_FIND_WHEELS) -r requirements-dev.txt -c constraints.txt >$(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -m pip install -c constraints.txt -e tests/lab >>$(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
else
	@# What a user installs next to this ansible-core, and what ansible-test units runs with.
	@$(BIN)/python -m pip install $(PIP_FIND_WHEELS) ansible-core -r requirements.txt pytest pytest-xdist aiosmtpd \
		-c $(CONSTRAINTS) \
		>$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
endif
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

# ansible-test's integration command wants an SSH key pair in ~/.ansible/test and makes one with
# ssh-keygen when it is missing. The two integration halves start together: both would find none and
# the second ssh-keygen would stop at "Overwrite (y/n)?". Made here once, before they start, the same
# way ansible-test makes it (PEM, and the RSA header paramiko reads); the halves only read it.
ANSIBLE_TEST_KEY := $(HOME)/.ansible/test/id_rsa
ansible-test-key:
	@if ! test -f $(ANSIBLE_TEST_KEY) || ! test -f $(ANSIBLE_TEST_KEY).pub; then \
		mkdir -p $(dir $(ANSIBLE_TEST_KEY)); rm -f $(ANSIBLE_TEST_KEY) $(ANSIBLE_TEST_KEY).pub; \
		ssh-keygen -m PEM -q -t rsa -N '' -f $(ANSIBLE_TEST_KEY); \
		sed -i -E 's/(BEGIN|END) PRIVATE KEY/\1 RSA PRIVATE KEY/' $(ANSIBLE_TEST_KEY); \
	fi

# --- tests ------------------------------------------------------------------

# Not part of `make test`: it measures, it does not judge (tests/bench/bench.py says how).
# Starts its own labs (BENCH_SERVERS of them) on free ports; results in $(BUILD_DIR)/bench.
bench: venv
	@echo '==> benchmark (tests/bench/bench.py)'
	@BENCH_DIR=$(BUILD_DIR)/bench $(BIN)/python $(CURDIR)/tests/bench/bench.py

# .ci/run runs these one by one (make test-steps lists them) to time each, then test-summary.
TEST_STEPS := sanity units lab-tests lint user-text integration secrets-scan
test: $(TEST_STEPS)
	@$(SUBMAKE) test-summary

test-summary:
	@$(BIN)/python $(CURDIR)/tests/utils/junit_summary.py $(JUNIT_DIR) $(COLLECTION)/tests/output/junit \
		$(INTEGRATION_JUNIT)

test-steps:
	@echo $(TEST_STEPS)

# The artifact checks that take minutes each (docs site, Galaxy tarball, AWX through
# ansible-runner, execution environment): a target of their own, which .ci/run runs after `make test`.
test-packaging: docs galaxy-install-test packaging-tests
	@$(BIN)/python $(CURDIR)/tests/utils/junit_summary.py $(JUNIT_DIR)/packaging

# Only Python $(TEST_PYTHON) exists in the venv, so version-specific tests
# (compile, import) run for it alone.
# ansible-test installs each sanity test's pinned requirements into its own
# venv under ~/.ansible/test/venv (reused while the pins are unchanged); prime
# them first so pip's chatter lands in a log that is shown only on failure.
# SANITY_TESTS limits the run to those tests (default: all).
SANITY_TESTS ?=
SANITY_SELECT = $(foreach test,$(SANITY_TESTS),--test $(test))
sanity: tree ansible-test-pip
	@echo '==> ansible-test sanity $(SANITY_TESTS) (ansible-core $(CORE_VERSION), Python $(TEST_PYTHON))'
	@cd $(COLLECTION) && ansible-test sanity --prime-venvs --python $(TEST_PYTHON) $(SANITY_SELECT) \
		>$(BUILD_DIR)/sanity-venvs.log 2>&1 || { cat $(BUILD_DIR)/sanity-venvs.log; exit 1; }
	@cd $(COLLECTION) && ansible-test sanity --python $(TEST_PYTHON) --junit $(SANITY_SELECT)

# The default release runs the unit tests with ansible-test, which runs each test in a fork of its own:
# each is proven on its own. A newer release (CORE=...) runs the same tests, with that release's
# Python, pytest and collection loader (the pytest plugin of its own ansible-test, as ansible-test
# loads it) and with ansible-test's settings, in one process: the fork per test costs four times the CPU
# (about 33 s against 8 s), and proves nothing more about the release.
ANSIBLE_TEST_ROOT = $(shell $(BIN)/python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
CONTROLLER_MIN_PYTHON = $(shell $(BIN)/python -c \
	'from ansible_test._internal.constants import CONTROLLER_MIN_PYTHON_VERSION as v; print(v)')
units: tree
	@echo '==> unit tests (ansible-core $(CORE_VERSION), Python $(TEST_PYTHON))'
ifeq ($(strip $(CORE)),)
	@cd $(COLLECTION) && ansible-test units --python $(TEST_PYTHON)
else
	@cd $(COLLECTION) && ANSIBLE_COLLECTIONS_PATH=$(TEST_TREE) ANSIBLE_CONFIG=$(ANSIBLE_TEST_ROOT)/_data/ansible.cfg \
		ANSIBLE_CONTROLLER_MIN_PYTHON_VERSION=$(CONTROLLER_MIN_PYTHON) \
		PYTHONPATH=$(ANSIBLE_TEST_ROOT)/_util/target/pytest/plugins PYTEST_PLUGINS=ansible_pytest_collections \
		$(BIN)/python -m pytest -q -r a -p no:cacheprovider -c $(ANSIBLE_TEST_ROOT)/_data/pytest/config/default.ini \
		--strict-markers --rootdir $(COLLECTION) --confcutdir $(COLLECTION) \
		--junit-xml $(COLLECTION)/tests/output/junit/python$(TEST_PYTHON)-controller-units.xml tests/unit
endif

lab-tests: venv
	@echo '==> pytest tests/lab/tests'
	@mkdir -p $(JUNIT_DIR)
	@$(BIN)/python -m pytest tests/lab/tests -q -p no:cacheprovider --junitxml $(JUNIT_DIR)/lab-tests.xml

# ansible-test hands the playbooks a filtered environment, so the lab's address
# reaches them as extra vars from tests/integration/integration_config.yml.
# The integration lab speaks German (NT-AUTORITÄT\ANONYMOUS-ANMELDUNG ...): the targets are
# written with English principal names, so they prove that principals are matched by SID.
INTEGRATION_LAB_LANGUAGE ?= de

integration: venv ansible-test-key
ifeq ($(strip $(INTEGRATION_TARGETS)),)
	@echo '==> ansible-test integration, two halves in parallel (lab language: $(INTEGRATION_LAB_LANGUAGE))'
	@rm -rf $(INTEGRATION_HALVES)
	@$(SUBMAKE) integration-half HALF=a INTEGRATION_SELECT="$(INTEGRATION_EXCLUDE_B)" >$(BUILD_DIR)/integration-a.log 2>&1 & a=$$!; \
	$(SUBMAKE) integration-half HALF=b INTEGRATION_SELECT="$(INTEGRATION_HALF_B)" >$(BUILD_DIR)/integration-b.log 2>&1 & b=$$!; \
	$(SUBMAKE) integration-variants >$(BUILD_DIR)/integration-variants.log 2>&1 & v=$$!; \
	rc=0; wait $$a || rc=1; wait $$b || rc=1; wait $$v || rc=1; \
	for half in a b variants; do echo "==> integration $$half"; cat $(BUILD_DIR)/integration-$$half.log; done; \
	exit $$rc
else
	@$(SUBMAKE) integration-half HALF=only INTEGRATION_SELECT="$(INTEGRATION_TARGETS)"
endif

# The variant matrix, one run after the other (each with its own tree and lab); every run is timed.
integration-variants: venv ansible-test-key
	@rc=0; run=0; for entry in $(INTEGRATION_VARIANT_MATRIX); do \
		run=$$((run + 1)); variants=$${entry%%:*}; targets=$${entry#*:}; start=$$(date +%s); \
		echo "==> integration variant run $$run: LAB_VARIANTS=\"$${variants//,/ }\" targets $${targets//,/ }"; \
		$(SUBMAKE) integration-half HALF=variant-$$run LAB_VARIANTS="$${variants//,/ }" \
			INTEGRATION_SELECT="$${targets//,/ }" || rc=1; \
		echo "==> integration variant run $$run took $$(( $$(date +%s) - start )) s"; \
	done; exit $$rc

# One ansible-test integration run in its own collection tree against its own lab.
HALF_BUILD = $(BUILD_DIR)/integration-$(HALF)
HALF_COLLECTION = $(HALF_BUILD)/test/ansible_collections/mailflow/exchange
integration-half: venv
	@$(BIN)/python $(CURDIR)/tests/utils/collection_tree.py build $(HALF_BUILD)/test >/dev/null
	@trap '$(SUBMAKE) -C $(CURDIR) lab-stop LAB_DIR=$(HALF_BUILD)/lab' EXIT; \
	EXCHANGE_LAB_LANGUAGE=$(INTEGRATION_LAB_LANGUAGE) $(SUBMAKE) lab-start LAB_DIR=$(HALF_BUILD)/lab; \
	EXCHANGE_LAB_LANGUAGE=$(INTEGRATION_LAB_LANGUAGE) $(BIN)/python $(CURDIR)/tests/utils/lab_env.py \
		--state $(HALF_BUILD)/lab/state integration-config \
		--out $(HALF_COLLECTION)/tests/integration/integration_config.yml; \
	cd $(HALF_COLLECTION) && ansible-test integration --local --python $(TEST_PYTHON) $(INTEGRATION_SELECT)

# --- ansible-core matrix --------------------------------------------------------
# The sanity tests whose verdict depends on the ansible-core release: its module and documentation
# validation, plugin loader, runtime metadata schema and import rules. Style checks (pep8, pylint, ...)
# judge the same source whatever the core, and run once, with the default one.
CORE_SANITY_TESTS := action-plugin-docs ansible-doc compile import runtime-metadata validate-modules
# What the newest core runs against a lab besides sanity and units: the session plugins (they use
# ansible-core internals), both roles, and an export round trip.
INTEGRATION_SMOKE := session_reuse role_onprem_relay role_online_relay inbound_connector_export

CORE_VERSION = $(shell $(BIN)/python -c 'import ansible.release as r; print(r.__version__)' 2>/dev/null)

# `make matrix`: every newer core in turn (make test covers the default one).
matrix: wheels
	@for core in $(MATRIX_CORES); do $(SUBMAKE) core-test CORE=$$core; done

# One core (CORE=<release>): the release-dependent sanity tests, units, and on the newest the smoke set.
core-test:
	@test -n '$(CORE)' || { echo 'make core-test needs CORE=<release>, one of $(MATRIX_CORES)' >&2; exit 1; }
	@$(SUBMAKE) sanity units SANITY_TESTS='$(CORE_SANITY_TESTS)'
ifeq ($(CORE),$(NEWEST_CORE))
	@$(SUBMAKE) -C $(CURDIR) venv CORE=
	@$(SUBMAKE) integration INTEGRATION_TARGETS='$(INTEGRATION_SMOKE)'
endif

# --- packaging -------------------------------------------------------
# tests/packaging runs against the built artifact from outside the checkout; each
# pytest run builds and installs the tarball once and starts its own lab.
PACKAGING_PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider

# What users read or run speaks of the product, never of the project's planning notes, and the README
# stays a short front page (tests/packaging/test_user_text.py); seconds, so part of `make test`.
user-text: venv
	@echo '==> user-facing text: README, guides, plugin and role docs, playbooks, changelog, Makefile'
	@mkdir -p $(JUNIT_DIR)
	@$(PACKAGING_PYTEST) tests/packaging/test_user_text.py --junitxml $(JUNIT_DIR)/user-text.xml

# ansible-lint reads .ansible-lint (production profile, offline) and resolves
# mailflow.exchange from the built tree, never from a Galaxy server.
lint: tree
	@echo '==> ansible-lint (production profile)'
	@ANSIBLE_COLLECTIONS_PATH=$(TEST_TREE) ansible-lint --offline roles playbooks

docs: tree
	@echo '==> antsibull-docs lint-collection-docs --plugin-docs'
	@cd $(COLLECTION) && ANSIBLE_COLLECTIONS_PATH=$(TEST_TREE) antsibull-docs lint-collection-docs --plugin-docs .
	@echo '==> docs site $(BUILD_DIR)/docs'
	@ANSIBLE_COLLECTIONS_PATH=$(TEST_TREE) $(BIN)/python $(CURDIR)/tests/utils/docs_site.py \
		--work $(BUILD_DIR)/docs-src --out $(BUILD_DIR)/docs >$(BUILD_DIR)/docs.log 2>&1 \
		|| { cat $(BUILD_DIR)/docs.log; exit 1; }
	@echo '==> antsibull-changelog lint'
	@antsibull-changelog lint
	@echo '==> ansible-doc of every plugin and role'
	@mkdir -p $(JUNIT_DIR)/packaging
	@$(PACKAGING_PYTEST) tests/packaging/test_docs.py --junitxml $(JUNIT_DIR)/packaging/docs.xml

galaxy-install-test: venv
	@echo '==> galaxy tarball: contents, install into an empty directory, demo from the installed copy'
	@mkdir -p $(JUNIT_DIR)/packaging
	@$(PACKAGING_PYTEST) tests/packaging/test_galaxy_install.py --junitxml $(JUNIT_DIR)/packaging/galaxy.xml

# The relay report's test opens it in headless Chromium (Debian's chromium package; .ci/run installs it) and
# leaves a screenshot in $(BUILD_DIR)/relay-report-browser.
packaging-tests: venv
	@echo '==> AWX credential types (ansible-runner), execution environment, module_defaults, role argument specs, relay report in Chromium'
	@mkdir -p $(JUNIT_DIR)/packaging
	@BUILD_DIR=$(BUILD_DIR) $(PACKAGING_PYTEST) tests/packaging/test_awx_credentials.py \
		tests/packaging/test_execution_environment.py tests/packaging/test_module_defaults.py \
		tests/packaging/test_relay_report_browser.py --junitxml $(JUNIT_DIR)/packaging/artifacts.xml

# The demo and tests/secrets/failing.yml at -vvvv with --diff and ANSIBLE_LOG_PATH, against a lab of
# its own; fails if a password, PFX password, client secret, private key line or issued token shows up.
SECRETS_DIR := $(BUILD_DIR)/secrets-scan
secrets-scan: demo-tree
	@echo '==> secrets scan'
	@rm -rf $(SECRETS_DIR)/out
	@trap '$(SUBMAKE) -C $(CURDIR) lab-stop LAB_DIR=$(SECRETS_DIR)/lab' EXIT; \
	$(SUBMAKE) lab-start LAB_DIR=$(SECRETS_DIR)/lab; \
	$(BIN)/python $(CURDIR)/tests/utils/secrets_scan.py --lab-json $(SECRETS_DIR)/lab/state/lab.json \
		--collections $(DEMO_TREE) --out $(SECRETS_DIR)/out --source $(CURDIR)

# --- lab and demo -----------------------------------------------------------

lab-start: venv
	@$(LAB_PROCESS) start -- $(LAB_ARGS) $(LAB_VARIANT_ARGS)

lab-stop:
	@if test -f $(LAB_DIR)/lab.pid; then $(LAB_PROCESS) stop; fi

lab-env:
	@$(LAB_ENV) exports

demo: demo-tree
	@trap '$(SUBMAKE) -C $(CURDIR) lab-stop' EXIT; \
	$(SUBMAKE) lab-start; \
	lab_env=$$($(LAB_ENV) exports); eval "$$lab_env"; \
	LAB_JSON=$(LAB_STATE)/lab.json RELAY_REPORT=$(BUILD_DIR)/relay-report.html \
		ANSIBLE_COLLECTIONS_PATH=$(DEMO_TREE) ANSIBLE_LOCALHOST_WARNING=false \
		ANSIBLE_INVENTORY_UNPARSED_WARNING=false ansible-playbook playbooks/demo.yml; \
	echo "relay report: $(BUILD_DIR)/relay-report.html"

# --- packaging --------------------------------------------------------------

build-collection: venv
	@ansible-galaxy collection build --force --output-path $(BUILD_DIR) .

clean:
	rm -rf $(BUILD_DIR) $(LAB_DIR)
