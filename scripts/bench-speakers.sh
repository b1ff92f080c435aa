#!/usr/bin/env bash
# Speaker labelling benchmark: each recording transcribed with labels off
# and on (`--speakers off|auto`), alternately, side by side; the labelling
# overhead ratio, the speakers found, and the diarization error against the
# turns each fixture was built from (and what one label for everyone would
# score), with its three parts. The stereo call is labelled by channel; the
# others, one microphone, by voice: read speech joined with pauses (our
# fixtures), then real conversation (a telephone call, AMI meeting clips).
set -euo pipefail
cd "$(dirname "$0")/.."
B=.cache/bench
mkdir -p "$B/voices"
M=$B/ggml-tiny.en.bin
cargo build --release --quiet
[ -f "$M" ] || target/release/minutes -q models import .cache/assets/ct2-tiny.en -o "$M"
[ -f "$B/voices/speakers-campplus.safetensors" ] ||
  target/release/minutes -q models import .cache/assets/campplus_cn_en_common.pt -o "$B/voices/speakers-campplus.safetensors"
# The call's turns, from the clips it is made of: reader, JFK, reader, JFK.
r=$(soxi -D fixtures/gen/librivox.wav); j=$(soxi -D fixtures/gen/jfk.wav)
python3 - "$r" "$j" > "$B/call-stereo.rttm" <<'PY'
import sys
r, j = map(float, sys.argv[1:])
t = 0.0
for length, who in [(r, "reader"), (j, "jfk"), (r, "reader"), (j, "jfk")]:
    print(f"SPEAKER call-stereo 1 {t:.3f} {length:.3f} <NA> <NA> {who} <NA> <NA>")
    t += length
PY
G=fixtures/gen C=.cache/assets/conversation
python3 scripts/bench.py speakers target/release/minutes "$M" "$B/voices" "${ROUNDS:-5}" \
  "$G/call-stereo.m4a:$B/call-stereo.rttm" \
  "$G/speakers-2.wav:$G/speakers-2.rttm" \
  "$G/speakers-3.wav:$G/speakers-3.rttm" \
  "$G/one-voice-long.wav:$G/one-voice-long.rttm" \
  "$C/call.wav:$C/call.rttm" \
  "$C/ami-dev00.wav:$C/ami-dev00.rttm" \
  "$C/ami-trn08.wav:$C/ami-trn08.rttm" \
  "$C/ami-trn09.wav:$C/ami-trn09.rttm" \
  "$C/ami-tst00.wav:$C/ami-tst00.rttm"
