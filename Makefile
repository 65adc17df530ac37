# Two commands do everything on a fresh Debian 12 machine:
#   make run    install what is missing, build, open Roadbook on the bundled sample program
#   make test   install what is missing, run every check and test
# CI runs `make test` through .ci/run.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup run test lint bench bench-documents

setup:
	@scripts/setup.sh

# Until the desktop shell lands (issue 4), `run` opens the sample in the CLI: it builds
# `roadbook`, puts the sample program in the default database and shows its registers.
run: setup
	$(CARGO) build --release --locked -p roadbook-cli
	@target/release/roadbook programs | grep -q "Builder Insights operationalization" \
		|| target/release/roadbook init --sample >/dev/null
	@target/release/roadbook programs
	@echo "--- decision register"; target/release/roadbook decision list
	@echo "--- risks"; target/release/roadbook risk list
	@echo "--- next actions"; target/release/roadbook action list

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The benches run once each in test mode first (they must work); the full test run comes last
# so its summary line is the last thing printed.
test: lint
	$(CARGO) test --workspace --locked --benches
	$(CARGO) test --workspace --locked

bench: setup
	$(CARGO) bench --locked -p roadbook-store -p roadbook-report
	@scripts/bench-summary.py

# Whole `roadbook report` processes against headless Chromium and wkhtmltopdf on the same
# content. Installs the two browsers' engines and hyperfine, which `make test` does not need.
bench-documents: setup
	@BENCH_TOOLS=1 scripts/setup.sh
	@scripts/bench-documents.sh
