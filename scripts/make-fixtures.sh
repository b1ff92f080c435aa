#!/usr/bin/env bash
# Builds the media fixtures the tests use into fixtures/gen from the fetched
# real speech (see fetch-test-assets.sh): the same speech in every container
# and codec we claim to read, synthetic speech, silence, noise, and the bad
# files users meet (empty, truncated, random, mislabelled, video-only, header-only).
set -euo pipefail
cd "$(dirname "$0")/.."
A=.cache/assets
G=fixtures/gen
stamp=$G/.complete-v5
[ -f "$stamp" ] && exit 0
rm -rf "$G"; mkdir -p "$G"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

cp "$A/jfk.wav" "$G/jfk.wav"
# The same speech in every container / codec.
ff -i "$G/jfk.wav" -c:a aac -b:a 96k "$G/jfk.m4a"
ff -f lavfi -i color=c=black:s=64x64:r=5 -i "$G/jfk.wav" -shortest -c:v mpeg4 -c:a aac "$G/jfk.mp4"
ff -i "$G/jfk.wav" -c:a libmp3lame -b:a 64k "$G/jfk.mp3"
ff -i "$G/jfk.wav" -c:a flac "$G/jfk.flac"
ff -i "$G/jfk.wav" -c:a libvorbis "$G/jfk.ogg"
ff -f lavfi -i color=c=black:s=64x64:r=5 -i "$G/jfk.wav" -shortest -c:v mpeg4 -c:a aac "$G/jfk.mkv"
ff -i "$G/jfk.wav" -c:a pcm_s16be "$G/jfk.caf"
ff -i "$G/jfk.wav" "$G/jfk.aiff"
ff -i "$G/jfk.wav" -c:a libopus -b:a 32k "$G/jfk.webm"
ff -i "$G/jfk.wav" -ar 48000 -ac 2 "$G/jfk-48k-stereo.wav"
ff -i "$G/jfk.wav" -ar 44100 -ac 2 -c:a aac "$G/jfk-44k-stereo.m4a"

# LibriVox clips joined with their transcript, and a ≥60 s benchmark clip.
: > "$G/librivox.txt"
files=()
while read -r id; do
  files+=("$A/librivox/$id.wav")
  echo "$(tr -s " " < "$A/librivox/$id.txt" | sed "s/^ *//")" >> "$G/librivox.txt"
done < "$A/librivox/fileids"
sox "${files[@]}" "$G/librivox.wav"
sox "$G/librivox.wav" "$G/jfk.wav" "$G/librivox.wav" "$G/jfk.wav" "$G/speech-72s.wav"
{ cat "$G/librivox.txt"; cat fixtures/jfk.txt; cat "$G/librivox.txt"; cat fixtures/jfk.txt; } > "$G/speech-72s.txt"
# Longer than one transcription block (180 s), for streaming into the summariser.
sox "$G/speech-72s.wav" "$G/speech-72s.wav" "$G/speech-72s.wav" "$G/speech-216s.wav"

# A two-person call, one real talker per channel (LibriVox reader right,
# JFK left), taking turns: librivox, jfk, librivox, jfk. Each side is
# silent while the other talks. The same call with both channels alike is
# one microphone recorded twice.
sox "$G/librivox.wav" "$G/quiet-librivox.wav" vol 0
sox "$G/jfk.wav" "$G/quiet-jfk.wav" vol 0
sox "$G/quiet-librivox.wav" "$G/jfk.wav" "$G/quiet-librivox.wav" "$G/jfk.wav" "$G/call-left.wav"
sox "$G/librivox.wav" "$G/quiet-jfk.wav" "$G/librivox.wav" "$G/quiet-jfk.wav" "$G/call-right.wav"
sox -M "$G/call-left.wav" "$G/call-right.wav" "$G/call-stereo.wav"
ff -i "$G/call-stereo.wav" -c:a aac -b:a 96k "$G/call-stereo.m4a"
ff -i "$G/call-stereo.wav" -c:a libopus -b:a 48k "$G/call-stereo.webm"
ff -i "$G/speech-72s.wav" -ac 2 -c:a aac -b:a 96k "$G/one-mic-stereo.m4a"
rm "$G/quiet-librivox.wav" "$G/quiet-jfk.wav" "$G/call-left.wav" "$G/call-right.wav" "$G/call-stereo.wav"

# Synthetic speech (espeak-ng), and speech around a long silence.
espeak-ng -v en-us -s 150 -w "$G/espeak-22k.wav" -f fixtures/espeak.txt
sox "$G/espeak-22k.wav" -r 16000 "$G/espeak.wav"
sox -n -r 16000 -c 1 "$G/silence-90s.wav" trim 0 90
sox -n -r 16000 -c 1 "$G/silence-60s.wav" trim 0 60
sox "$G/jfk.wav" "$G/silence-60s.wav" "$G/jfk.wav" "$G/jfk-gap-jfk.wav"
sox -R -n -r 16000 -c 1 "$G/noise-30s.wav" synth 30 pinknoise vol 0.2
sox -n -r 16000 -c 1 "$G/hum-30s.wav" synth 30 sine 50 vol 0.3

# Bad inputs.
: > "$G/empty.wav"
ff -f lavfi -i sine=f=440:d=20 -c:a aac "$G/whole.mp4"
head -c 40000 "$G/whole.mp4" > "$G/truncated.mp4"   # mdat without its moov
rm "$G/whole.mp4"
python3 -c "import random; random.seed(7); open('$G/random.mp3','wb').write(bytes(random.getrandbits(8) for _ in range(65536)))"
printf 'This is a text file, not audio.\n%.0s' $(seq 200) > "$G/text.mp3"
ff -f lavfi -i color=c=blue:s=64x64:r=5 -t 3 -c:v mpeg4 -an "$G/video-only.mp4"
python3 -c "import wave; w=wave.open('$G/header-only.wav','wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.close()"
mkdir -p "$G/a-directory.wav"
touch "$stamp"
echo "fixtures ready in $G" >&2
