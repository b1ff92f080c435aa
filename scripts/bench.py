#!/usr/bin/env python3
"""Side-by-side benchmarks for minutes (run through `just bench-stt`, `just bench-decode`, `just bench-speakers`).

Every contender runs as its own process in the same session; wall time and
peak RSS come from wait4() on that process. Results are printed as a table
with ratios against the reference contender, measured in the same run.
"""
import os
import re
import subprocess
import sys
import time


def run(cmd, env=None, stdout=subprocess.PIPE):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    out, err = b"", b""
    if stdout == subprocess.PIPE:
        out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024.0, out.decode(errors="replace")


def words(text):
    text = text.lower().replace("-", " ")
    out = []
    for w in text.split():
        w = re.sub(r"[^a-z0-9']", "", w)
        if w == "mr":
            w = "mister"
        if w:
            out.append(w)
    return out


def wer(ref, hyp):
    r, h = words(ref), words(hyp)
    prev = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        cur = [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            cur[j] = min(prev[j - 1] + (r[i - 1] != h[j - 1]), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return prev[len(h)] / max(1, len(r))


def table(rows, ref_name):
    ref = next(r for r in rows if r["name"] == ref_name)
    print(f"{'contender':<34} {'wall s':>8} {'× ref':>7} {'peak RSS MB':>12} {'WER':>7}")
    for r in rows:
        w = f"{r['wer'] * 100:.1f}%" if r.get("wer") is not None else "-"
        print(f"{r['name']:<34} {r['wall']:>8.2f} {r['wall'] / ref['wall']:>7.2f} {r['rss']:>12.1f} {w:>7}")
    print(f"(× ref: wall time relative to '{ref_name}'; below 1 is faster)")


def bench_stt(minutes, venv_python, model_dir, audio, ref_text, threads):
    ref = open(ref_text).read()
    work = ".cache/bench"
    os.makedirs(work, exist_ok=True)
    f16, q8 = f"{work}/ggml-tiny.en-f16.bin", f"{work}/ggml-tiny.en-q8.bin"
    run([minutes, "-q", "models", "import", model_dir, "-o", f16])
    run([minutes, "-q", "models", "import", "--q8", model_dir, "-o", q8])
    fw = os.path.join(os.path.dirname(__file__), "fw_transcribe.py")
    rows = []
    for beam in (1, 5):
        contenders = [
            (f"minutes f16 beam {beam}", [minutes, "-q", "transcribe", "-m", f16, "-l", "en", "-t", threads, "--beam", str(beam), audio]),
            (f"minutes q8_0 beam {beam}", [minutes, "-q", "transcribe", "-m", q8, "-l", "en", "-t", threads, "--beam", str(beam), audio]),
            (f"faster-whisper int8 beam {beam}", [venv_python, fw, model_dir, audio, "int8", str(beam), threads]),
            (f"faster-whisper float32 beam {beam}", [venv_python, fw, model_dir, audio, "float32", str(beam), threads]),
        ]
        for name, cmd in contenders:
            wall, rss, text = run(cmd)
            rows.append({"name": name, "wall": wall, "rss": rss, "wer": wer(ref, text)})
            print(f"  {name}: {wall:.2f} s", file=sys.stderr)
    print(f"\nTranscribing {audio} ({threads} threads, Whisper tiny.en, same CTranslate2 model for all):\n")
    table(rows, "faster-whisper int8 beam 5")


def bench_decode(minutes, audio):
    rows = []
    for name, cmd in [
        ("minutes probe --decode", [minutes, "-q", "probe", "--decode", audio]),
        ("ffmpeg -ac 1 -ar 16000 -f f32le", ["ffmpeg", "-nostdin", "-v", "error", "-i", audio, "-ac", "1", "-ar", "16000", "-f", "f32le", "-"]),
    ]:
        wall, rss, out = run(cmd, stdout=subprocess.PIPE if name.startswith("minutes") else subprocess.DEVNULL)
        rows.append({"name": name, "wall": wall, "rss": rss})
        if name.startswith("minutes"):
            print(f"  {out.strip()}", file=sys.stderr)
    print(f"\nDecoding + resampling {audio} to 16 kHz mono:\n")
    table(rows, "ffmpeg -ac 1 -ar 16000 -f f32le")


def der_parts(reference, hypothesis, collar=0.25, step=0.01):
    """Diarization error on 10 ms frames, in its three parts as shares of
    reference speech: (missed, false alarm, confusion). A collar around
    reference boundaries is not scored; hypothesis speakers are mapped onto
    reference speakers the best way. Where the reference has two talkers at
    once, a frame is right when the hypothesis names either."""
    import itertools
    end = max([r[1] for r in reference] + [h[1] for h in hypothesis])
    frames = []
    for i in range(int(end / step) + 1):
        t = i * step
        if not any(abs(t - r[0]) < collar or abs(t - r[1]) < collar for r in reference):
            ref = {r[2] for r in reference if r[0] <= t < r[1]}
            hyp = next((h[2] for h in hypothesis if h[0] <= t < h[1]), None)
            frames.append((ref, hyp))
    speech = max(1, sum(1 for r, _ in frames if r))
    missed = sum(1 for r, h in frames if r and h is None)
    false_alarm = sum(1 for r, h in frames if not r and h is not None)
    refs = sorted({x for r, _ in frames for x in r})
    hyps = sorted({h for _, h in frames if h is not None})
    best = min(
        sum(1 for r, h in frames if r and h is not None and dict(zip(hyps, perm)).get(h) not in r)
        for perm in itertools.permutations(refs + [None] * max(0, len(hyps) - len(refs)), len(hyps))
    ) if hyps else 0
    return missed / speech, false_alarm / speech, best / speech


def der(reference, hypothesis, collar=0.25, step=0.01):
    """Diarization error rate: missed + false alarm + confusion (see der_parts)."""
    return sum(der_parts(reference, hypothesis, collar, step))


def read_rttm(path):
    turns = []
    for line in open(path):
        f = line.split()
        if f and f[0] == "SPEAKER":
            turns.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return turns


def bench_speakers(minutes, model, models_dir, rounds, *cases):
    """Each case is AUDIO:REFERENCE.rttm; labels off and on alternate."""
    print(f"\nWhisper tiny.en, 2 threads, median of {rounds} alternating rounds per file:\n")
    print(f"{'recording':<22} {'off s':>7} {'auto s':>7} {'× off':>7} {'speakers':>9} {'ref':>4} {'DER':>7} "
          f"{'missed':>7} {'f.alarm':>7} {'confus.':>7} {'1 label':>8}")
    for case in cases:
        audio, reference = case.split(":")
        turns = read_rttm(reference)
        walls = {"off": [], "auto": []}
        rttm = ""
        for _ in range(int(rounds)):
            for mode in walls:
                args = [minutes, "-q", "transcribe", "--no-cache", "-m", model, "--models-dir", models_dir,
                        audio, "-f", "rttm", "--threads", "2", "--speakers", mode]
                wall, _, out = run(args)
                walls[mode].append(wall)
                if mode == "auto":
                    rttm = out
        hyp = [(float(f[3]), float(f[3]) + float(f[4]), f[7]) for f in (l.split() for l in rttm.splitlines())]
        med = {m: sorted(v)[len(v) // 2] for m, v in walls.items()}
        speakers = len({h[2] for h in hyp})
        one = der(turns, [(t[0], t[1], "S1") for t in turns])
        parts = der_parts(turns, hyp)
        print(f"{os.path.basename(audio):<22} {med['off']:>7.2f} {med['auto']:>7.2f} {med['auto'] / med['off']:>7.2f} "
              f"{speakers:>9} {len({t[2] for t in turns}):>4} {sum(parts) * 100:>6.1f}% "
              + " ".join(f"{p * 100:>6.1f}%" for p in parts) + f" {one * 100:>7.1f}%")


if __name__ == "__main__":
    if sys.argv[1] == "stt":
        bench_stt(*sys.argv[2:8])
    elif sys.argv[1] == "speakers":
        bench_speakers(*sys.argv[2:])
    else:
        bench_decode(*sys.argv[2:4])
