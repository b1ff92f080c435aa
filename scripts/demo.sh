#!/usr/bin/env bash
# The main job on an example, offline: a real Whisper model (tiny.en) and a
# real local LLM (SmolLM2-135M, served by minutes-llm) make minutes of
# fixtures/gen/jfk.mp4. Needs `cargo install --path .` done (just demo does it).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes models import .cache/assets/ct2-tiny.en --name tiny.en-ct2 >/dev/null
port=8765
# --watch-stdin: the server exits when this script (holding its stdin) ends.
exec 3< <(sleep 3600)
minutes-llm --model .cache/assets/smollm2-135m-instruct-q4_1.gguf --port "$port" --ctx 4096 --watch-stdin <&3 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
minutes summarize fixtures/gen/jfk.mp4 -m tiny.en-ct2 \
  --llm "http://127.0.0.1:$port/v1" --llm-model smollm2 --no-correct --jobs 1
