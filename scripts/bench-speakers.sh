#!/usr/bin/env bash
# Speaker labelling benchmark: the two-person call (one talker per channel),
# transcribed with labels off and on, side by side; the labelling overhead
# ratio and the diarization error against the call's known turns.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/bench
M=.cache/bench/ggml-tiny.en.bin
cargo build --release --quiet
[ -f "$M" ] || target/release/minutes -q models import .cache/assets/ct2-tiny.en -o "$M"
# The call's turns, from the clips it is made of: reader, JFK, reader, JFK.
r=$(soxi -D fixtures/gen/librivox.wav); j=$(soxi -D fixtures/gen/jfk.wav)
python3 - "$r" "$j" > .cache/bench/call-turns.txt <<'PY'
import sys
r, j = map(float, sys.argv[1:])
t = 0.0
for length, who in [(r, "reader"), (j, "jfk"), (r, "reader"), (j, "jfk")]:
    print(f"{t:.3f} {t + length:.3f} {who}")
    t += length
PY
python3 scripts/bench.py speakers target/release/minutes "$M" fixtures/gen/call-stereo.m4a \
  .cache/bench/call-turns.txt "${ROUNDS:-5}"
