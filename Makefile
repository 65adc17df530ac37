# Two commands do everything on a fresh Debian 12 machine:
#   make run    install what is missing, build, open Roadbook on the bundled sample program
#   make test   install what is missing, run every check and test
# CI runs `make test` through .ci/run.

CARGO ?= cargo
NPM ?= npm
export CARGO_TERM_COLOR ?= never
export PATH := $(HOME)/.cargo/bin:$(PATH)
TS_FEATURES := roadbook-model/ts,roadbook-store/ts,roadbook-sync/ts,roadbook-report/ts,roadbook-desktop/ts

.PHONY: setup run ui lint deps bindings deploy-check check test deb bench bench-documents bench-desktop bench-sync server

setup:
	@scripts/setup.sh

# The desktop app embeds the built UI, so the UI is built before any Rust that compiles it.
ui: setup
	$(NPM) --prefix ui run build

run: ui
	$(CARGO) build --release --locked -p roadbook-cli -p roadbook-desktop
	@target/release/roadbook programs | grep -q "Builder Insights operationalization" \
		|| target/release/roadbook init --sample >/dev/null
	target/release/roadbook-desktop

lint: ui deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(NPM) --prefix ui run check
	$(NPM) --prefix ui run lint

# The dependency rules of docs/architecture.md: the server never links rusqlite (nor the store or
# the sync client), and the protocol does no IO.
deps:
	@python3 scripts/check-architecture.py
	@if $(CARGO) tree --locked -p roadbook-server -e normal --prefix none | grep -E '^(rusqlite|roadbook-store|roadbook-sync) '; then \
		echo "roadbook-server must not depend on these"; exit 1; fi
	@if $(CARGO) tree --locked -p roadbook-protocol -e normal --prefix none | grep -E '^(tokio|reqwest|hyper|rusqlite|tokio-postgres) '; then \
		echo "roadbook-protocol must do no IO"; exit 1; fi

# The TypeScript types come from the Rust types (ts-rs). Regenerate them and fail when the
# committed ones differ: a stale binding is a bug the type check cannot see.
bindings: ui
	$(CARGO) test --locked -q --lib -p roadbook-model -p roadbook-store -p roadbook-sync -p roadbook-report -p roadbook-desktop --features $(TS_FEATURES) >/dev/null
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		if [ -n "$$(git status --porcelain -- ui/src/lib/bindings)" ]; then \
			git status --short -- ui/src/lib/bindings; \
			echo "ui/src/lib/bindings is stale: commit the regenerated files"; exit 1; \
		fi; \
	fi

# deploy/: manifests of every environment, the container build file, alerting rules, dashboard.
deploy-check: setup
	@deploy/check.sh

# UI unit tests and the benches (once each) first; the Rust suite, with the end-to-end test of
# the desktop app in its real webview, comes last so its summary line ends the output.
# The fast loop, for a change in progress (DEVELOPMENT.md): formatting, the rules of the model,
# store, core, protocol, report and server (lib tests; the server's on its in-memory storage),
# the store against real SQLite files, and the UI's types, lints and Vitest. Nothing to start,
# no PostgreSQL, no display; about a minute warm. `make test` is the whole of it.
check:
	$(CARGO) fmt --all -- --check
	$(CARGO) test --locked -q -p roadbook-model -p roadbook-protocol -p roadbook-store -p roadbook-core -p roadbook-report -p roadbook-server -p roadbook-sync --lib
	$(CARGO) test --locked -q -p roadbook-model --tests
	$(CARGO) test --locked -q -p roadbook-store --test store
	$(NPM) --prefix ui run check
	$(NPM) --prefix ui run lint
	$(NPM) --prefix ui test

test: lint bindings deploy-check
	$(NPM) --prefix ui test
	$(CARGO) build --locked -p roadbook-desktop -p roadbook-cli -p roadbook-server
	$(CARGO) test --locked -p roadbook-e2e --bench long_list
	$(CARGO) test --locked -p roadbook-e2e --bench team_sync
	$(CARGO) test --locked -p roadbook-store --bench store
	$(CARGO) test --locked -p roadbook-report --bench documents
	@scripts/check-pdfs.sh
	$(CARGO) test --locked -p roadbook-sync-tests --bench sync
	@scripts/previous-release.sh
	$(CARGO) test --workspace --locked

# Team sync on one machine: a throwaway PostgreSQL, the development identity provider and
# roadbook-server on 127.0.0.1; prints what to run; Ctrl+C stops all three.
server: setup
	$(CARGO) build --locked -p roadbook-server -p roadbook-cli
	@scripts/server.sh

# The Debian package (offline; AppImage would download a tool at build time).
deb: ui
	ui/node_modules/.bin/tauri build --bundles deb

bench: setup
	$(CARGO) bench --locked -p roadbook-store -p roadbook-report
	@scripts/bench-summary.py

# Whole `roadbook report` processes against headless Chromium and wkhtmltopdf on the same
# content. Installs the two browsers' engines and hyperfine, which `make test` does not need.
bench-documents: setup
	@BENCH_TOOLS=1 scripts/setup.sh
	@scripts/bench-documents.sh

bench-desktop: ui
	@scripts/bench-desktop.sh

# The sync on loopback against a fsynced PostgreSQL: join 10,000 items, push 1,000 changes, 50
# clients for 60 s, a change seen on a second client; and 200 more simulation seeds.
bench-sync: setup
	$(CARGO) build --release --locked -p roadbook-server -p roadbook-cli
	ROADBOOK_BIN_DIR=$(CURDIR)/target/release $(CARGO) bench --locked -p roadbook-sync-tests --bench sync
	ROADBOOK_SIM_SEEDS=200 $(CARGO) test --release --locked -p roadbook-sync-tests --test sync simulation
