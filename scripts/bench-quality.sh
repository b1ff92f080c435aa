#!/usr/bin/env bash
# Minutes quality with real small models: the meetings of bench/meetings
# (transcripts written from real meetings' structure, each with the facts
# its minutes must state) summarised by each model and prompt set with the
# bundled LLM, scored by `minutes eval suite` (recall per kind, precision,
# owners and dues, tokens and wall time), one row per model and prompt set,
# side by side in one run. Rows are appended to bench/quality-history.jsonl.
#
#   MODELS   .gguf files (default: the two fetched by scripts/fetch-bench-models.sh)
#   PROMPTS  prompt set directories (default: the built-in set)
#   EXTRA    more flags for `eval suite` (e.g. --no-correct)
set -euo pipefail
cd "$(dirname "$0")/.."
B=.cache/bench
scripts/fetch-bench-models.sh >/dev/null
cargo build --release --quiet
S=$B/suite
rm -rf "$S" && mkdir -p "$S"
# `[mm:ss] Name: text` lines (and `# language:`/`# date:` headers) to the
# JSON `transcribe -f json` writes: speakers, language, day, times.
python3 - "$S" bench/meetings/*.txt <<'PY'
import json, os, re, shutil, sys
out = sys.argv[1]
for src in sys.argv[2:]:
    head, segs = {}, []
    for line in open(src, encoding="utf-8"):
        line = line.strip()
        if m := re.match(r"#\s*(\w+):\s*(.+)", line):
            head[m[1]] = m[2]
        elif m := re.match(r"\[(\d+):(\d\d)\]\s*([^:]+):\s*(.+)", line):
            segs.append({"start": int(m[1]) * 60 + int(m[2]), "speaker": m[3], "text": " " + m[4]})
    for a, b in zip(segs, segs[1:] + [None]):
        a["end"] = b["start"] if b else a["start"] + max(2, len(a["text"]) // 15)
    stem = os.path.basename(src)[:-4]
    doc = {"source": f"{stem}.wav", "model": "reference", "language": head["language"],
           "duration": segs[-1]["end"], "date": head["date"],
           "segments": [{k: s[k] for k in ("start", "end", "text", "speaker")} for s in segs]}
    json.dump(doc, open(f"{out}/{stem}.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    shutil.copy(src[:-4] + ".facts.yaml", out)
PY
models=()
for m in ${MODELS:-$B/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf $B/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}; do
  models+=(--llm-model "$m")
done
prompts=()
for p in ${PROMPTS:-}; do prompts+=(--template "$p"); done
"${CARGO_TARGET_DIR:-target}"/release/minutes eval suite "$S" --llm local "${models[@]}" "${prompts[@]}" \
  --seed 1 --history bench/quality-history.jsonl ${EXTRA:-}
