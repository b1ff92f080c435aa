#!/usr/bin/env bash
# Transcription benchmark: minutes vs faster-whisper on the same 72 s of real
# speech, same CTranslate2 tiny.en model, same threads, same beam.
set -euo pipefail
cd "$(dirname "$0")/.."
V=.cache/bench-venv
if [ ! -x "$V/bin/python" ]; then
  python3 -m venv "$V"
  "$V/bin/pip" install --quiet faster-whisper==1.2.1
fi
cargo build --release --quiet
THREADS=${THREADS:-$(nproc)}
"$V/bin/python" scripts/bench.py stt target/release/minutes "$V/bin/python" \
  .cache/assets/ct2-tiny.en fixtures/gen/speech-72s.wav fixtures/gen/speech-72s.txt "$THREADS"
