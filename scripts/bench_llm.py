#!/usr/bin/env python3
"""Local LLM benchmark: minutes-llm (through its HTTP API, as `minutes` uses
it) against llama-cpp-python in-process, same GGUF, same threads, same
context, flash attention the same in both (FLASH_ATTN=on|off, default on,
as minutes-llm's `auto` picks on CPU). Rounds alternate between the two so
that a noisy machine slows both alike; medians are reported as ratios.

  prefill   a ~1000-token prompt, one output token: prompt tokens / seconds
  generate  a streamed answer: tokens after the first / seconds after the first
  prefix    six map-stage prompts (same instructions, different transcript
            parts) with minutes-llm's prefix cache, and with it defeated

usage: bench_llm.py MINUTES_LLM VENV_PYTHON MODEL.gguf THREADS [ROUNDS]
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CTX = 4096
FLASH = os.environ.get("FLASH_ATTN", "on")

WORKER = r"""
import json, sys, time
from llama_cpp import Llama
model, threads, ctx, flash = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "on"
llm = Llama(model_path=model, n_ctx=ctx, n_threads=threads, n_threads_batch=threads,
            n_batch=512, flash_attn=flash, verbose=False)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    t0 = time.perf_counter()
    if req.get("stream"):
        first = last = None
        n = 0
        for chunk in llm.create_chat_completion(messages=req["messages"], max_tokens=req["max_tokens"],
                                                temperature=0.0, repeat_penalty=1.0, stream=True):
            if chunk["choices"][0]["delta"].get("content"):
                now = time.perf_counter()
                first = first or now
                last = now
                n += 1
        print(json.dumps({"tokens": n, "first": first - t0, "last": last - t0}), flush=True)
    else:
        out = llm.create_chat_completion(messages=req["messages"], max_tokens=req["max_tokens"],
                                         temperature=0.0, repeat_penalty=1.0)
        print(json.dumps({"seconds": time.perf_counter() - t0,
                          "prompt_tokens": out["usage"]["prompt_tokens"]}), flush=True)
"""


def transcript_lines():
    base = (ROOT / "fixtures" / "jfk.txt").read_text().split()
    lines = []
    for i in range(400):
        words = base[(i * 7) % len(base):] + base
        lines.append(f"[{i // 6:02d}:{(i * 10) % 60:02d}] " + " ".join(words[:18]))
    return lines


class Minutes:
    def __init__(self, program, model, threads):
        self.proc = subprocess.Popen(
            [program, "--model", model, "--port", "0", "--threads", str(threads),
             "--ctx", str(CTX), "--flash-attn", FLASH, "--watch-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.url = line.strip().removeprefix("listening on ") + "/v1/chat/completions"

    def post(self, body):
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
        return urllib.request.urlopen(req, timeout=600)

    def prefill(self, messages):
        t0 = time.perf_counter()
        out = json.load(self.post({"messages": messages, "max_tokens": 1, "temperature": 0}))
        return time.perf_counter() - t0, out["usage"]

    def generate(self, messages, max_tokens):
        t0 = time.perf_counter()
        first = last = None
        tokens = 0
        with self.post({"messages": messages, "max_tokens": max_tokens, "temperature": 0,
                        "repeat_penalty": 1.0, "stream": True,
                        "stream_options": {"include_usage": True}}) as resp:
            for raw in resp:
                line = raw.decode().strip()
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
                for choice in chunk["choices"]:
                    if choice["delta"].get("content"):
                        now = time.perf_counter()
                        first = first or now
                        last = now
        return tokens, first - t0, last - t0

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Python:
    def __init__(self, python, model, threads):
        self.proc = subprocess.Popen([python, "-c", WORKER, model, str(threads), str(CTX), FLASH],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline())["ready"]

    def ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def prefill(self, messages):
        out = self.ask({"messages": messages, "max_tokens": 1})
        return out["seconds"], {"prompt_tokens": out["prompt_tokens"]}

    def generate(self, messages, max_tokens):
        out = self.ask({"messages": messages, "max_tokens": max_tokens, "stream": True})
        return out["tokens"], out["first"], out["last"]

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main():
    program, python, model, threads = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    lines = transcript_lines()
    long_text = "\n".join(lines[:55])
    ours, theirs = Minutes(program, model, threads), Python(python, model, threads)
    rates = {"prefill": ([], []), "generate": ([], [])}
    try:
        for r in range(rounds):
            for i, engine in enumerate((ours, theirs)):
                # A unique start defeats any prefix reuse: every token is computed.
                messages = [{"role": "user", "content": f"Run {r}-{i}. Summarise this meeting:\n{long_text}"}]
                seconds, usage = engine.prefill(messages)
                rates["prefill"][i].append(usage["prompt_tokens"] / seconds)
                count = [{"role": "user", "content": f"Run {r}-{i}. Count from 1 to 500, separated by commas."}]
                tokens, first, last = engine.generate(count, 400)
                rates["generate"][i].append((tokens - 1) / (last - first))
        prompt_tokens = usage["prompt_tokens"]
        system = (ROOT / "prompts" / "default" / "map.yaml").read_text()
        system = system.split("system: |", 1)[1].split("user: |", 1)[0]
        parts = [lines[i * 40:(i + 1) * 40] for i in range(6)]

        def map_prompts(unique):
            """Prefills the six prompts; `unique` puts a distinct tag first in each."""
            total, cached, t0 = 0, 0, time.perf_counter()
            for n, part in enumerate(parts):
                tag = f"[{n}/{time.time()}] " if unique else ""
                transcript = "\n".join(part)
                messages = [{"role": "system", "content": tag + system},
                            {"role": "user", "content": f"Part {n + 1}:\n<transcript>\n{transcript}\n</transcript>"}]
                _, usage = ours.prefill(messages)
                total += usage["prompt_tokens"]
                cached += usage.get("prompt_tokens_details", {}).get("cached_tokens", 0)
            return time.perf_counter() - t0, total, cached

        uncached = map_prompts(unique=True)
        with_cache = map_prompts(unique=False)
    finally:
        ours.stop()
        theirs.stop()

    print(f"model {Path(model).name}, {threads} threads, context {CTX}, {rounds} rounds, flash attention {FLASH}")
    print(f"{'':10} {'minutes-llm':>12} {'llama-cpp-python':>17} {'ratio':>7}")
    for name, (a, b) in rates.items():
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name + ' tok/s':16} {ma:6.0f} {mb:17.0f} {ma / mb:7.2f}")
    print(f"(prefill prompt: {prompt_tokens} tokens; minutes-llm measured through HTTP, "
          f"llama-cpp-python in-process)")
    seconds, total, cached = with_cache
    print(f"prefix cache, 6 map prompts ({total} prompt tokens): {cached} tokens "
          f"({100 * cached / total:.0f}%) served from the cache; prefill {seconds:.2f} s "
          f"vs {uncached[0]:.2f} s without ({uncached[0] / seconds:.2f}x)")


if __name__ == "__main__":
    main()
