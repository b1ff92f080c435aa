#!/usr/bin/env bash
# Local LLM benchmark: minutes-llm (over HTTP) vs llama-cpp-python, same GGUF
# (SmolLM2-135M-Instruct Q4_1), same threads, same flash-attention setting
# (FLASH_ATTN=on|off, default on).
set -euo pipefail
cd "$(dirname "$0")/.."
V=.cache/bench-llm-venv
if [ ! -x "$V/bin/python" ] || ! "$V/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  echo "installing llama-cpp-python (it compiles llama.cpp: several minutes)" >&2
  python3 -m venv "$V"
  # The same CPU flags llama-cpp-sys-2 builds llama.cpp with (a native build
  # also turns on AMX, which crashed on the machine these numbers come from).
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    "$V/bin/pip" install --quiet --no-cache-dir llama-cpp-python==0.3.36
fi
cargo build --release --quiet --bin minutes-llm
THREADS=${THREADS:-$(nproc)}
python3 scripts/bench_llm.py target/release/minutes-llm "$V/bin/python" \
  .cache/assets/smollm2-135m-instruct-q4_1.gguf "$THREADS" "${ROUNDS:-5}"
