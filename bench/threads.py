#!/usr/bin/python3
"""CPU per thread of one command, where perf is not there.

    bench/threads.py [--runs N] [--interval S] [--switches] COMMAND...

Runs COMMAND (e.g. build/piiscan scan --threads 16 -o M.json FILE) --runs
times and polls /proc/PID/task/*/stat every --interval seconds (default
0.005): prints the wall time, the main thread's CPU seconds (piiscan's
reader), and every other thread's, busiest first. A thread's last reading
is the one before it ended, so a short-lived thread can be under-counted by
one interval; the clock ticks are 10 ms. --switches adds how often the
main thread blocked and was preempted (/proc/PID/task/*/status), and how
often the others were preempted. bench/reader.sh does the same from
perf samples where perf exists. Timing lives here, never in tests.
"""
import argparse
import os
import subprocess
import time


def poll(pid, cpu, hz, switches):
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if switches is not None:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    st = dict(line.split(":", 1) for line in f if "ctxt_switches" in line)
                switches[int(tid)] = (int(st["voluntary_ctxt_switches"]),
                                      int(st["nonvoluntary_ctxt_switches"]))
        except (OSError, KeyError, ValueError):
            continue
        cpu[int(tid)] = (int(fields[11]) + int(fields[12])) / hz   # utime + stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--switches", action="store_true",
                    help="also the main thread's context switches: blocked (voluntary) and preempted")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if not a.command or a.runs < 1:
        ap.error("a command and a positive --runs are needed")
    hz = os.sysconf("SC_CLK_TCK")
    for _ in range(a.runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(a.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu = {}
        sw = {} if a.switches else None
        while p.poll() is None:
            poll(p.pid, cpu, hz, sw)
            time.sleep(a.interval)
        wall = time.perf_counter() - t0
        main_cpu = cpu.pop(p.pid, 0.0)
        if sw is not None:
            vol, inv = sw.pop(p.pid, (0, 0))
            others = [x[1] for x in sw.values()]
            print(f"main thread: {vol} blocked, {inv} preempted; others preempted "
                  f"{sum(others)} times in all", flush=True)
        rest = sorted(cpu.values(), reverse=True)
        print(f"exit {p.returncode}  wall {wall:.3f} s  main {main_cpu:.2f} s  others {sum(rest):.2f} s "
              f"in {len(rest)} threads: " + " ".join(f"{c:.2f}" for c in rest), flush=True)


if __name__ == "__main__":
    main()
