#!/usr/bin/env python3
"""faster-whisper side of the transcription benchmark: prints the transcript."""
import sys

from faster_whisper import WhisperModel

model_dir, audio, compute_type, beam, threads = sys.argv[1:6]
model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=int(threads))
segments, _ = model.transcribe(audio, beam_size=int(beam), language="en")
print(" ".join(s.text.strip() for s in segments))
