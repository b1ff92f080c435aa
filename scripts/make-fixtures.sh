#!/usr/bin/env bash
# Builds the media fixtures the tests use into fixtures/gen from the fetched
# real speech (see fetch-test-assets.sh): the same speech in every container
# and codec we claim to read, synthetic speech, silence, noise, the bad
# files users meet (empty, truncated, random, mislabelled, video-only, header-only),
# and meetings of real people taking turns, with reference RTTM files.
set -euo pipefail
cd "$(dirname "$0")/.."
A=.cache/assets
G=fixtures/gen
stamp=$G/.complete-v8
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
# Speech late in the first recognition block (180 s) and in the next, little
# of it in all: a run stopped between the blocks has something to lose.
sox "$G/silence-90s.wav" "$G/silence-60s.wav" "$G/librivox.wav" "$G/jfk.wav" "$G/jfk.wav" \
  "$G/librivox.wav" "$G/late-speech.wav"
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

# Meetings of real people on one microphone, each turn a whole recorded
# utterance. The voices (see fetch-test-assets.sh):
#   reader   the LibriVox reader of Sense and Sensibility (a woman), 5 clips
#   jfk      JFK, jfk.wav cut in two at its pause after "ask not"
#   michael  Michael McAuliffe, MFA's author: the sdist's mfa_*.flac clips,
#            all one session; its tests name the voice "michael"
#   mls-13697  Multilingual LibriSpeech reader 13697 (Spanish), one clip
# Every clip is made 16 kHz mono, peak-normalised to -3 dBFS (sox -R: the same
# dither every run, so the fixtures are the same bytes), and cut of its
# leading and trailing silence, so each reference line starts and ends in
# speech (a speaker's own short pauses inside a clip stay in its line).
# The reference RTTM files are computed from the cut clips' sample counts
# and the pauses put between them: one line per clip, labelled with the person.
S=$G/voices.tmp
mkdir -p "$S"
die() { echo "make-fixtures: $*" >&2; exit 1; }
clip() { # name input [ffmpeg output options, e.g. -ss/-t]
  local name=$1 in=$2; shift 2
  ff -i "$in" "$@" -ar 16000 -ac 1 -c:a pcm_s16le "$S/decoded.wav"
  sox -R "$S/decoded.wav" "$S/$name.wav" gain -n -3 silence 1 0.05 1% reverse silence 1 0.05 1% reverse
}
for id in 0870 0880 0890 0920 0930; do
  clip "lv$id" "$A/librivox/sense_and_sensibility_01_austen_64kb-$id.wav"
done
clip jfk1 "$A/jfk.wav" -t 4.9              # "And so my fellow Americans, ask not"
clip jfk2 "$A/jfk.wav" -ss 4.9 -t 5.5      # "what your country can do for you, ask what you can do for your country"
michael_clips=(um the uhuh a putty thoughts crossword her apex uh youknow surround
  patty theother words bottle erpause laughter michael poofy uhum thez buddy
  whatscalled cutoffprogressive hes puddy theapprox reallylong internalsil pooty
  thestop er unk theinitialstop cutoff puttynorm thenorm longstop affectation breaths
  um crossword uhuh)   # the last three a second time
for c in "${michael_clips[@]}"; do clip "$c" "$A/mfa-wav/mfa_$c.flac"; done
clip mls-13697 "$A/mfa-wav/13697_11991_000000.opus"
# Real speech in other languages, for the multilingual model's tests: the
# Spanish reader above, and a Common Voice speaker of Japanese (both with
# their transcripts in the sdist's tests/data/lab).
cp "$S/mls-13697.wav" "$G/spanish.wav"
ff -i "$A/mfa-wav/common_voice_ja_24511055.mp3" -ar 16000 -ac 1 -c:a pcm_s16le "$G/japanese.wav"

samples() { soxi -s "$1"; }
secs() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 16000 }'; }
for ms in 300 400 500 600 700 800; do
  sox -D -r 16000 -c 1 -n -b 16 "$S/pause-$ms.wav" trim 0 $((ms * 16))s   # digital silence, no dither
done
# meeting NAME MIN_TURN_S MAX_TURN_S TURN…: TURN is who:clip[,clip…] (one person's
# clips 0.3 s apart); turns are 0.4–0.8 s apart, the meeting starts and
# ends with 0.5 s of silence.
meeting() {
  local name=$1 min=$2 max=$3 gaps=(500 700 400 800 600)
  shift 3
  local parts=("$S/pause-500.wav") t=8000 i=0 turn who c n len clips
  : > "$G/$name.rttm"
  for turn in "$@"; do
    who=${turn%%:*}
    if [ $i -gt 0 ]; then
      parts+=("$S/pause-${gaps[$(((i - 1) % 5))]}.wav"); t=$((t + ${gaps[$(((i - 1) % 5))]} * 16))
    fi
    len=0
    IFS=, read -ra clips <<< "${turn#*:}"
    for c in "${clips[@]}"; do
      [ $len -gt 0 ] && { parts+=("$S/pause-300.wav"); t=$((t + 4800)); len=$((len + 4800)); }
      n=$(samples "$S/$c.wav")
      echo "SPEAKER $name 1 $(secs $t) $(secs $n) <NA> <NA> $who <NA> <NA>" >> "$G/$name.rttm"
      parts+=("$S/$c.wav"); t=$((t + n)); len=$((len + n))
    done
    [ $len -ge $((min * 16000)) ] && [ $len -le $((max * 16000)) ] ||
      die "$name: $who's turn ${turn#*:} is $(secs $len) s, not $min–$max s"
    i=$((i + 1))
  done
  parts+=("$S/pause-500.wav")
  sox "${parts[@]}" "$G/$name.wav"
}
# One person's clips 0.3 s apart, for enrollment: enroll OUT MIN_S MAX_S CLIP…
enroll() {
  local out=$1 min=$2 max=$3 parts=() c n
  shift 3
  for c in "$@"; do parts+=("$S/$c.wav" "$S/pause-300.wav"); done
  unset 'parts[${#parts[@]}-1]'
  sox "${parts[@]}" "$G/$out"
  n=$(samples "$G/$out")
  [ "$n" -ge $((min * 16000)) ] && [ "$n" -le $((max * 16000)) ] || die "$out is $(secs "$n") s"
}
# Two people, six turns of 3–10 s.
meeting speakers-2 3 10 reader:lv0870 michael:crossword reader:lv0890 michael:um \
  reader:lv0920 michael:words
# Three people, eight turns of 3–10 s, not in a fixed order.
meeting speakers-3 3 10 michael:uhum reader:lv0890 jfk:jfk1 michael:uhuh \
  reader:lv0880,lv0930 michael:uh jfk:jfk2 michael:youknow,whatscalled
# One man for over 3 minutes: every michael clip, three of them twice.
turns=()
for c in "${michael_clips[@]}"; do turns+=("michael:$c"); done
meeting one-voice-long 0 60 "${turns[@]}"
[ "$(samples "$G/one-voice-long.wav")" -ge $((150 * 16000)) ] || die "one-voice-long is too short"
ff -i "$G/speakers-2.wav" -c:a aac -b:a 96k "$G/speakers-2.m4a"
# Enrollment samples of two of the meeting people from clips speakers-3 does
# not use (the reader's are in speakers-2: she has 22 s of speech in all), and
# a stranger who is in no meeting.
enroll enroll-A.wav 10 20 the theother putty her erpause hes thez
enroll enroll-B.wav 10 20 lv0870 lv0920
enroll stranger.wav 10 20 mls-13697
cat > "$G/voices.txt" <<'VOICES'
# enrollment file, then the person: the label the reference RTTM files use
enroll-A.wav michael
enroll-B.wav reader
stranger.wav mls-13697
VOICES
rm -rf "$S"
touch "$stamp"
echo "fixtures ready in $G" >&2
