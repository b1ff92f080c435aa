#!/usr/bin/env bash
# Installs everything needed to build, run and test minutes on Debian/Ubuntu:
# system packages (C/C++ toolchain, cmake and libclang for whisper.cpp, ffmpeg,
# espeak-ng, sox, Python and Node for fetching test data, Prometheus's promtool), a Rust toolchain
# if there is none, and `just`. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Libraries and meta-packages are checked with dpkg; tools by their command,
# so a tool installed another way (Node.js from NodeSource bundles npm, Python
# from pyenv brings pip and venv) is used as it is instead of fighting apt.
missing=""
for p in build-essential libclang-dev libspeechd-dev ca-certificates; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
for pair in cmake:cmake clang:clang pkg-config:pkg-config curl:curl ffmpeg:ffmpeg \
  espeak-ng:espeak-ng sox:sox python3:python3 node:nodejs npm:npm promtool:prometheus; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done
if command -v python3 >/dev/null 2>&1; then
  python3 -m pip --version >/dev/null 2>&1 || missing="$missing python3-pip"
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] || curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v just >/dev/null 2>&1; then
  echo "installing just" >&2
  cargo install --locked --quiet just
fi
echo "setup complete" >&2
