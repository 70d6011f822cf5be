#!/usr/bin/python3
"""CPU per thread of one command, where perf is not there.

    bench/threads.py [--runs N] [--interval S] COMMAND...

Runs COMMAND (e.g. build/piiscan scan --threads 16 -o M.json FILE) --runs
times and polls /proc/PID/task/*/stat every --interval seconds (default
0.005): prints the wall time, the main thread's CPU seconds (piiscan's
reader), and every other thread's, busiest first. A thread's last reading
is the one before it ended, so a short-lived thread can be under-counted by
one interval; the clock ticks are 10 ms. bench/reader.sh does the same from
perf samples where perf exists. Timing lives here, never in tests.
"""
import argparse
import os
import subprocess
import time


def poll(pid, cpu, hz):
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[int(tid)] = (int(fields[11]) + int(fields[12])) / hz   # utime + stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if not a.command or a.runs < 1:
        ap.error("a command and a positive --runs are needed")
    hz = os.sysconf("SC_CLK_TCK")
    for _ in range(a.runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(a.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu = {}
        while p.poll() is None:
            poll(p.pid, cpu, hz)
            time.sleep(a.interval)
        wall = time.perf_counter() - t0
        main_cpu = cpu.pop(p.pid, 0.0)
        rest = sorted(cpu.values(), reverse=True)
        print(f"exit {p.returncode}  wall {wall:.3f} s  main {main_cpu:.2f} s  others {sum(rest):.2f} s "
              f"in {len(rest)} threads: " + " ".join(f"{c:.2f}" for c in rest), flush=True)


if __name__ == "__main__":
    main()
