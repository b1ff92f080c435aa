#!/usr/bin/env bash
# Two builds of minutes-llm side by side on the same work: each serves the
# same model in turn and `minutes summarize` makes the same minutes of one
# meeting of the quality suite (map and reduce, no cache, seed 1); prints
# wall time and generation speed per round, and whether the minutes match.
#   scripts/bench-llm-ab.sh OLD/minutes-llm NEW/minutes-llm [MODEL.gguf] [CASE.json]
# (run `just bench-quality` once first: it fetches the models and writes the cases)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
M=${3:-.cache/bench/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}
CASE=${4:-.cache/bench/suite/standup-en.json}
BIN=${CARGO_TARGET_DIR:-target}/release/minutes
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "${ROUNDS:-2}"); do
  for who in old new; do
    server=$old; [ "$who" = new ] && server=$new
    RUST_LOG=info "$server" --model "$M" --port 18123 --ctx 8192 > "$out/$who.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do curl -sf -o /dev/null http://127.0.0.1:18123/health && break; sleep 0.5; done
    s=$(date +%s.%N)
    "$BIN" -q summarize "$CASE" --llm http://127.0.0.1:18123/v1 --llm-model m --no-correct \
      --no-cache --seed 1 -f json > "$out/$who-$round.json"
    e=$(date +%s.%N)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    speeds=$(grep -o 'generated [0-9]* at [0-9]* tok/s' "$out/$who.log" | sed 's/generated //' | paste -sd';' -)
    printf '%s round %s: %.1f s; %s\n' "$who" "$round" "$(echo "$e - $s" | bc)" "$speeds"
  done
  python3 - "$out/old-$round.json" "$out/new-$round.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["minutes"] for f in sys.argv[1:])
print("minutes identical" if a == b else "minutes differ")
PY
done
