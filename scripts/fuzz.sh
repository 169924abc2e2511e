#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a short while.
#
#   bash scripts/fuzz.sh [seconds]     # default 10 seconds per target
#
# Installs cargo-fuzz if it is missing (idempotent). The repo pins a stable toolchain
# and cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module), so
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them. Builds go to fuzz/target,
# apart from por's own target/. Each run starts from the committed seeds
# (fuzz/seeds/<target>) plus whatever fuzz/corpus/<target> has gathered, and every
# committed reproducer in fuzz/regressions/<target> is replayed first.
# Exits non-zero if any target crashes (the input lands in fuzz/artifacts/<target>).
# More in docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [seconds per target, at least 1]" >&2
  exit 2
fi
# Address sanitizer by default; FUZZ_SANITIZER=none for a faster, uninstrumented run.
sanitizer="${FUZZ_SANITIZER:-address}"

export RUSTC_BOOTSTRAP=1
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

targets=(liabilities proof wallets amount time manifest)
fuzz_flags=(--sanitizer "$sanitizer" --fuzz-dir fuzz)
# Short smoke runs (the test command's 5 s) build without optimisation: a fraction of
# the compile time, and 5 s find the same shallow bugs. FUZZ_RELEASE=1, or runs of a
# minute or more, build optimised for throughput.
if [ -z "${FUZZ_RELEASE:-}" ] && [ "$seconds" -lt 60 ]; then
  fuzz_flags+=(--dev)
fi

cargo fuzz build "${fuzz_flags[@]}"

failed=()
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  # Known reproducers must stay fixed: run each once, no fuzzing.
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    echo "fuzz.sh: $t: replaying fuzz/regressions/$t" >&2
    if ! cargo fuzz run "${fuzz_flags[@]}" "$t" fuzz/regressions/"$t"/* -- -runs=1; then
      failed+=("$t (regression)")
      continue
    fi
  fi
  echo "fuzz.sh: $t: fuzzing for ${seconds}s" >&2
  if ! cargo fuzz run "${fuzz_flags[@]}" "$t" "$corpus" "fuzz/seeds/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a crash" >&2
