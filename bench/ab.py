#!/usr/bin/env python3
"""bench/ab.py — two or more piiscan binaries, alternated on one input.

    bench/ab.py [--rounds N] [--threads T] [--cpu K] [--check] FILE BINARY BINARY...

How this project compares a change with what it replaces (bench/README.md,
"Comparing two builds"): each round runs every binary once, in turn, as

    BINARY scan --threads T -o MANIFEST FILE

pinned to CPU K (default 0; --cpu -1 leaves it free), and takes the CPU
time the process used (user + system, all its threads, from wait4) and its
wall time. Alternating is what makes the numbers comparable on a shared
machine: a slow minute slows every binary alike. It prints, per binary, the
first quartile and the median of the CPU times, the median wall time, and
the median's ratio to the first binary's.

--check first runs every binary with --findings and a fixed fingerprint key,
with --threads 1 and 2, and stops unless the findings are byte-identical
and the manifests the same but for times, paths of the run and the policy
file: a change that alters what is found is not a speed-up.

A binary finds its rules in the rules/ beside its directory (build/x and
rules/), so keep the binaries to compare under build/ of one checkout,
e.g. `cp build/piiscan build/base-piiscan` before the change.
Timing lives in bench/, never in tests.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

VOLATILE = {"seconds", "started_at", "finished_at", "threads", "run_id", "elapsed", "duration_s", "path"}


def run(binary, args, cpu):
    """CPU seconds (user + system) and wall seconds of one run."""
    def pin():
        if cpu >= 0:
            os.sched_setaffinity(0, {cpu})
    t0 = time.perf_counter()
    p = subprocess.Popen([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=pin)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit(f"ab.py: {binary} exited {p.returncode}: {err.decode(errors='replace')[-500:]}")
    return ru.ru_utime + ru.ru_stime, wall


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in VOLATILE}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o


def check(binaries, path, tmp):
    key = os.path.join(tmp, "key")
    with open(key, "w") as f:
        f.write("ab" * 32 + "\n")
    os.chmod(key, 0o600)
    for threads in (1, 2):
        outs = []
        for k, b in enumerate(binaries):
            m, fi = os.path.join(tmp, f"m{k}.json"), os.path.join(tmp, f"f{k}.jsonl")
            for x in (m, fi):
                if os.path.exists(x):
                    os.unlink(x)
            run(b, ["scan", "--threads", str(threads), "--fingerprint-key", key, "-o", m, "--findings", fi, path],
                -1)
            with open(fi, "rb") as f:
                findings = f.read()
            with open(m) as f:
                manifest = strip(json.load(f))
            outs.append((findings, manifest))
        for k in range(1, len(binaries)):
            if outs[k][0] != outs[0][0]:
                sys.exit(f"ab.py: {binaries[k]} and {binaries[0]} write different findings (--threads {threads})")
            if outs[k][1] != outs[0][1]:
                sys.exit(f"ab.py: {binaries[k]} and {binaries[0]} write different manifests (--threads {threads})")
        lines = outs[0][0].count(b"\n")
        print(f"same findings ({lines} lines) and manifests, --threads {threads}")


def main():
    ap = argparse.ArgumentParser(description="alternate piiscan binaries on one input (pinned CPU time)")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=0, help="CPU to pin to; -1: none")
    ap.add_argument("--check", action="store_true", help="first require identical findings and manifests")
    ap.add_argument("file")
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    if len(a.binaries) < 2:
        ap.error("two binaries or more")
    with tempfile.TemporaryDirectory(prefix="piiscan-ab.") as tmp:
        if a.check:
            check(a.binaries, a.file, tmp)
        cpu = {b: [] for b in a.binaries}
        wall = {b: [] for b in a.binaries}
        manifest = os.path.join(tmp, "m.json")
        for _ in range(a.rounds):
            for b in a.binaries:
                c, w = run(b, ["scan", "--threads", str(a.threads), "-o", manifest, a.file], a.cpu)
                cpu[b].append(c * 1e3)
                wall[b].append(w * 1e3)
    pin = f"pinned to CPU {a.cpu}" if a.cpu >= 0 else "not pinned"
    print(f"{a.file}: {a.rounds} rounds, --threads {a.threads}, {pin}; CPU ms (user + system), wall ms")
    base = statistics.median(cpu[a.binaries[0]])
    for b in a.binaries:
        q1 = statistics.quantiles(cpu[b], n=4)[0] if len(cpu[b]) > 1 else cpu[b][0]
        med = statistics.median(cpu[b])
        print(f"  {b:40s} CPU q1 {q1:8.1f}  median {med:8.1f}  wall median {statistics.median(wall[b]):8.1f}"
              f"  {med / base:6.3f}x")


if __name__ == "__main__":
    main()
