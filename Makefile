# Gatehouse: `make run` and `make test` (see README.md).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

# Builds live outside the checkout so a fresh clone reuses them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/gatehouse/target
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LEPTOS_SITE_ROOT := $(CARGO_TARGET_DIR)/site
BIN := $(CARGO_TARGET_DIR)/release/gatehouse
E2E_PORT ?= 3100

.PHONY: run test tools-test build lint unit e2e api-fuzz bench

## run: install what is missing, build, migrate, load demo data, serve on :3000
## in development mode (GATEHOUSE_DEV=1: the mail viewer, loopback only; never for the internet)
run: .env build
	@url=$$(scripts/db.sh url gatehouse); \
	echo "==> development mode (GATEHOUSE_DEV=1): mail viewer at /dev/mail, loopback only"; \
	DATABASE_URL="$$url" DEMO_DATA=1 GATEHOUSE_DEV=1 exec $(BIN)

## test: fmt, clippy (server and wasm), unit and database tests, Playwright
test: tools-test .env lint build unit e2e api-fuzz

tools-test:
	@scripts/tools.sh test

.env:
	@sed "s|^SECRET_KEYS=.*|SECRET_KEYS=k1:$$(head -c32 /dev/urandom | base64)|" .env.example > .env
	@echo "==> wrote .env with a fresh SECRET_KEYS"

# The site: the server's release compile starts first (the longest step); beside it,
# the tools the client needs are installed and xtask/ (see its main.rs; compiled in the
# dev profile, in its own target directory) builds the WASM client, hashed and
# precompressed. Skipped when no source changed since the last build.
STAMP := $(CARGO_TARGET_DIR)/.gatehouse-build-stamp
SOURCES := app frontend server xtask style public migrations Cargo.toml Cargo.lock .cargo
build:
	@if [ -x $(BIN) ] && [ -f $(STAMP) ] && [ -z "$$(find $(SOURCES) -newer $(STAMP) -print -quit)" ]; then \
	  echo "==> release build is up to date"; \
	else \
	  started=$$(date +%s); \
	  cargo build --release --package=server --bin=gatehouse & server=$$!; \
	  if scripts/tools.sh build && cargo run --quiet --package=xtask --target-dir="$(CARGO_TARGET_DIR)/xtask-build" -- site; then \
	    wait $$server; \
	  else \
	    kill $$server 2>/dev/null || true; wait $$server || true; exit 1; \
	  fi; \
	  touch $(STAMP); \
	  echo "==> server and client built in $$(( $$(date +%s) - started )) s"; \
	fi

lint:
	cargo fmt --all --check
	cargo clippy -p app -p server -p bench -p wire -p cli -p xtask --features app/ssr --all-targets -- -D warnings
	# The client as it ships: split (xtask builds it so; app/src/screens.rs)
	cargo clippy -p frontend --target wasm32-unknown-unknown --features split -- -D warnings

# The secret-leak test reads the release client's files, so unit tests run after the build.
unit: build
	DATABASE_URL="$$(scripts/db.sh server)" \
	GATEHOUSE_AIOSMTPD="$(CURDIR)/target/tools/py/bin/aiosmtpd" \
	GATEHOUSE_HASHES="$(CARGO_TARGET_DIR)/release/hash.txt" GATEHOUSE_PKG="$(LEPTOS_SITE_ROOT)/pkg" \
	cargo test -p app -p server -p wire -p cli --features app/ssr

e2e: build
	@url=$$(scripts/db.sh fresh gatehouse_e2e); \
	cd end2end && E2E_DATABASE_URL="$$url" E2E_PORT=$(E2E_PORT) GATEHOUSE_BIN=$(BIN) npx playwright test

## api-fuzz: Schemathesis against /api/v1/openapi.json with a token, on its own port and
## database; fails on a 5xx or an undocumented answer (reports in target/st/)
api-fuzz: build
	GATEHOUSE_BIN=$(BIN) scripts/schemathesis.sh

## bench: timed comparisons against baselines taken in the same run: the transfer and the
## history chain (bench/src/main.rs), then reads over HTTP against the release server on a
## throwaway database, overload, and the client's size (bench/src/http.rs)
bench: tools-test build
	DATABASE_URL="$$(scripts/db.sh server)" cargo run --release -p bench --bin transfer-bench
	DATABASE_URL="$$(scripts/db.sh fresh gatehouse_bench)" GATEHOUSE_BIN=$(BIN) \
	  cargo run --release -p bench --bin http-bench
