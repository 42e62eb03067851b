# prty — developer and operator entry points. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PREFIX ?= /usr/local
SWIFT ?= swift
PYTHON ?= python3
TOOLS := prty-wallet prty-fetch prty-partition prty-train prty-exec prty-runner
RELEASE := .build/release
VENV := .venv
VENV_BENCH := .venv-bench
# Every apt package the project needs, named even where a machine may already have it.
APT_PACKAGES := libcurl4-openssl-dev libsecp256k1-dev pkg-config jq \
	python3 python3-venv bash-completion zsh fish ipfs-cid openssl shellcheck wrk nginx-light
# One optimised build serves the unit tests (@testable import) and the end-to-end tests (the binaries).
# Tests run one at a time: on 2 cores, CPU-heavy training tests in parallel starve the cooperative threads
# that the timeout and cancellation tests need (a whole run takes about 3 minutes).
TESTABLE := -Xswiftc -enable-testing
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help deps build test unit demo bench install uninstall completions lint fmt install-hooks clean

help: ## list the targets
	@echo "prty — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 18

deps: ## install apt packages and the pinned Python venv for the test peers (idempotent)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then \
			echo "run as root: apt-get update && apt-get install -y $$missing"; exit 1; fi; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/TestSupport/peers/requirements.txt

build: ## build the six tools (release)
	$(SWIFT) build -c release

test: deps ## build everything (release) and run every test against the real peers
	$(SWIFT) build -c release --build-tests $(TESTABLE)
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) PRTY_PYTHON=$(CURDIR)/$(VENV)/bin/python \
		$(SWIFT) test -c release --skip-build $(TESTABLE) --no-parallel

demo: deps build ## run a whole federated-learning round on the embedded dataset (no network)
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) examples/demo.sh

bench: deps build ## benchmarks side by side with the reference tools; writes bench/results.json
	@[ -x $(VENV_BENCH)/bin/python ] || $(PYTHON) -m venv $(VENV_BENCH)
	@$(VENV_BENCH)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	@# PyTorch CPU only where a local wheel provides it (never the multi-GB CUDA build); else its column is skipped.
	@$(VENV_BENCH)/bin/pip install -q --disable-pip-version-check 'torch==2.13.0+cpu' 2>/dev/null \
		|| echo "bench: torch==2.13.0+cpu is not available here; the PyTorch column will be skipped"
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) $(VENV_BENCH)/bin/python bench/run.py

install: build ## install the tools and completions under PREFIX (default /usr/local)
	install -d $(DESTDIR)$(PREFIX)/bin
	for t in $(TOOLS); do install -m 755 $(RELEASE)/$$t $(DESTDIR)$(PREFIX)/bin/$$t; done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	for t in $(TOOLS); do \
		install -m 644 completions/bash/$$t $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; \
		install -m 644 completions/zsh/_$$t $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t; \
		install -m 644 completions/fish/$$t.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish; \
	done

uninstall: ## remove what install put under PREFIX
	for t in $(TOOLS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish; done

completions: build ## regenerate completions/ from the command declarations
	mkdir -p completions/bash completions/zsh completions/fish
	for t in $(TOOLS); do \
		$(RELEASE)/$$t completions bash > completions/bash/$$t; \
		$(RELEASE)/$$t completions zsh > completions/zsh/_$$t; \
		$(RELEASE)/$$t completions fish > completions/fish/$$t.fish; \
	done

lint: ## swift format lint, shellcheck, and a warnings-as-errors build
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift
	shellcheck .ci/run examples/*.sh
	$(SWIFT) build -Xswiftc -warnings-as-errors

fmt: ## format the Swift sources in place
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

install-hooks: ## a pre-commit hook that runs lint and the unit tests
	printf '#!/bin/sh\nset -e\nmake lint\nswift test --skip EndToEndTests\n' > .git/hooks/pre-commit
	chmod +x .git/hooks/pre-commit

clean: ## remove build outputs and venvs
	rm -rf .build $(VENV) $(VENV_BENCH) bench/results.json demo-out
