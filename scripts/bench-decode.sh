#!/usr/bin/env bash
# Decoding benchmark: one hour of 48 kHz stereo AAC to 16 kHz mono, minutes vs ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/bench
H=.cache/bench/hour-48k-stereo.m4a
if [ ! -f "$H" ]; then
  ffmpeg -nostdin -v error -y -stream_loop 60 -i fixtures/gen/speech-72s.wav -t 3600 \
    -ar 48000 -ac 2 -c:a aac -b:a 128k "$H"
fi
cargo build --release --quiet
python3 scripts/bench.py decode target/release/minutes "$H"
