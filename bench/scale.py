#!/usr/bin/python3
"""How piiscan's manifest job scales with threads on this machine.

    bench/scale.py [--threads 1,2,4,8] [--runs 3] [--ceiling] FILE...

For each FILE and each thread count T, runs
`piiscan scan --threads T -o MANIFEST FILE` --runs times (round robin over
T, so that a burst of other load hits every T alike) and prints the median
wall time, GB/s (10^9 bytes scanned a second: a compressed FILE counts
its decompressed bytes), the speed-up over the
smallest T, CPU cores kept busy ((user + sys) / wall) and peak RSS. Every
run of a file must report the same totals.findings: a thread count that
changes the result is an error, not a number.

--ceiling adds, for each T > 1 up to the CPUs this process may use, T
one-thread scans of the same file at once, each pinned to a CPU of its own:
the same total work with nothing shared between the scans. Their summed
throughput over the one-thread run's is what T threads could reach on this
machine (shared caches, memory bandwidth, SMT siblings, the hypervisor).

--piiscan takes the command to run (default build/piiscan; a wrapper such
as "ld.so --library-path lib piiscan" works). Extra scan options go after
--scan-args, e.g. --scan-args="--rules rules". Timing stays here, never in
tests (see bench/README.md).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_scan(scan, threads, path, manifest, cpu=None):
    """Start one scan (scan: the argv up to and with "scan" and its extra
    options); return the Popen, pinned to cpu if given."""
    argv = scan + ["--threads", str(threads), "-o", manifest, path]
    pre = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pre)


def finish(proc, t0, manifest, what):
    """Wait for proc; return (wall s, cpu s, maxrss KiB, (findings, bytes
    read)); bytes read are the decompressed bytes of a compressed file."""
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"scale.py: {what} exited {proc.returncode}:\n{err}")
    with open(manifest) as f:
        m = json.load(f)
    if m.get("status") != "complete":
        sys.exit(f"scale.py: {what}: manifest status {m.get('status')!r}")
    tot = m["totals"]
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, (tot["findings"], tot["bytes_read"])


def ceiling_once(scan, path, n, cpus, tmp):
    """n pinned one-thread scans at once; their walls."""
    procs = []
    t0 = time.perf_counter()
    for k in range(n):
        man = os.path.join(tmp, f"indep{k}.json")
        procs.append((run_scan(scan, 1, path, man, cpus[k]), man))
    return [finish(p, t0, man, f"pinned scan {k}")[0] for k, (p, man) in enumerate(procs)]


def fmt_range(xs):
    return f"{statistics.median(xs):7.3f} ({min(xs):.3f}-{max(xs):.3f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--threads", default="", help="comma-separated thread counts (default 1,2,4,... up to nproc)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ceiling", action="store_true", help="also measure the machine's ceiling (pinned scans)")
    ap.add_argument("--ceiling-runs", type=int, help="runs of each ceiling measurement (default --runs)")
    ap.add_argument("--piiscan", default="build/piiscan", help="command that runs piiscan")
    ap.add_argument("--scan-args", default="", help="more options for every scan")
    ap.add_argument("--json", help="also write the measurements here")
    a = ap.parse_args()

    cpus = sorted(os.sched_getaffinity(0))
    if a.threads:
        ts = [int(t) for t in a.threads.split(",")]
    else:
        ts, t = [], 1
        while t < len(cpus):
            ts.append(t)
            t *= 2
        ts.append(len(cpus))
    if a.runs < 1 or not ts or min(ts) < 1:
        ap.error("--runs and every thread count must be positive")
    scan = shlex.split(a.piiscan) + ["scan"] + shlex.split(a.scan_args)

    out = {"host": os.uname().nodename, "cpus": len(cpus), "runs": a.runs, "files": []}
    with tempfile.TemporaryDirectory(prefix="piiscan-scale-") as tmp:
        man = os.path.join(tmp, "manifest.json")
        for path in a.files:
            with open(path, "rb") as f:     # into the page cache first
                while f.read(1 << 20):
                    pass
            res = {t: [] for t in ts}
            findings = None
            for r in range(a.runs):
                for t in ts:
                    t0 = time.perf_counter()
                    p = run_scan(scan, t, path, man)
                    wall, cpu, rss, n = finish(p, t0, man, f"{path} with {t} threads")
                    if findings is None:
                        findings = n
                    elif n != findings:
                        sys.exit(f"scale.py: {path}: {t} threads: (findings, bytes) {n}, an earlier run {findings}")
                    res[t].append({"wall": wall, "cpu": cpu, "rss_kib": rss})
                    print(f"  {os.path.basename(path)} run {r + 1}/{a.runs} -j{t}: {wall:.3f} s", file=sys.stderr, flush=True)
            ceil = {}
            if a.ceiling:
                for t in ts:
                    if 1 < t <= len(cpus):
                        ceil[t] = []
                        for r in range(a.ceiling_runs or a.runs):
                            ceil[t].append(ceiling_once(scan, path, t, cpus, tmp))
            findings, size = findings
            t1 = statistics.median(x["wall"] for x in res[ts[0]])
            print(f"\n{path}: {size / 1e6:.1f} MB, {findings} findings, {len(cpus)} CPUs, {a.runs} runs, medians")
            hdr = f"{'threads':>7}  {'wall s (min-max)':>22}  {'GB/s':>7}  {'speed-up':>8}  {'cores':>5}  {'RSS MiB':>7}"
            if ceil:
                hdr += f"  {'ceiling':>7}"
            print(hdr)
            rows = []
            for t in ts:
                w = [x["wall"] for x in res[t]]
                med = statistics.median(w)
                cores = statistics.median(x["cpu"] / x["wall"] for x in res[t])
                rss = max(x["rss_kib"] for x in res[t]) / 1024
                line = f"{t:>7}  {fmt_range(w):>22}  {size / med / 1e9:7.3f}  {t1 / med:8.2f}  {cores:5.2f}  {rss:7.1f}"
                row = {"threads": t, "walls": w, "gbps": size / med / 1e9, "speedup": t1 / med,
                       "cores": cores, "maxrss_mib": rss}
                if t in ceil:
                    # summed throughput of t pinned scans over the 1-thread run's
                    c = statistics.median(sum(t1 / x for x in walls) for walls in ceil[t])
                    line += f"  {c:7.2f}"
                    row["ceiling"] = c
                    row["ceiling_walls"] = ceil[t]
                print(line)
                rows.append(row)
            out["files"].append({"path": path, "bytes": size, "findings": findings, "rows": rows})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
