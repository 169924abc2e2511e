#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need on a fresh
# machine (idempotent), then runs formatting, lints, docs and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-deps.sh

export RUSTFLAGS="${RUSTFLAGS:-}"
cargo fmt --check
# Licences, duplicate crates and sources of the whole dependency tree (deny.toml),
# offline: no advisory database is fetched. The crates are fetched first, so the
# offline resolution also works on a fresh machine with an empty cargo cache.
cargo fetch --locked
cargo deny --offline check licenses bans sources
# Data flows one way (input -> core -> publish): no module back-edge, no cycle.
python3 scripts/module-graph.py > /dev/null || { python3 scripts/module-graph.py | tail -n 20; exit 1; }
cargo clippy --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
cargo test --locked --all-targets
# The regtest bitcoind test is #[ignore]d (reported as ignored) unless a node is given.
if [ -n "${BITCOIND_EXE:-}" ]; then
  cargo test --locked --test it -- --ignored bitcoind_regtest
else
  echo "bitcoind regtest test skipped: BITCOIND_EXE is not set"
fi
if [ -d tests/js ]; then
  node --test tests/js/
fi
# Short fuzz runs of the parsers that read outside input (docs/fuzzing.md runs longer).
bash scripts/fuzz.sh 5
