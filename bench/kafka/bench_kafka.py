#!/usr/bin/python3
"""`piiscan kafka` against a plain consume of the same topic, in the same run.

    bench_kafka.py --piiscan build/piiscan [--messages 400000] [--partitions 4]
                   [--runs 5] [--threads N] [--distinct 20000] [--plant 0.1]

Produces realistic event messages (JSON order/login events of ~330 bytes, a
planted personal value in --plant of them; tests/kafka/test_kafka.py's
generator, synthetic values) to a new topic, LZ4-compressed, then times,
alternating, --runs times each:

  kcat -C     kcat -C -b B -t T -o beginning -e -q > /dev/null  (no group)
  kcat -G     kcat -b B -G <new group> -X auto.offset.reset=earliest -e -q T
              > /dev/null  (the same group protocol piiscan pays for)
  piiscan     piiscan kafka -b B -G <new group> -t T -e -j N --findings F
              --manifest-dir D  (findings and manifests on disk, fsynced)
  scan file   piiscan scan -j N --findings F values.jsonl: the same values
              from a file, the scan engine's ceiling (not a Kafka number)

and prints the median wall time, messages/s and MB/s (of message values) of
each, and piiscan's share of the plain consume. Wall time includes process
start and, for the group consumers, joining the group. Needs the test broker
(bench/kafka/run.sh starts it).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'kafka'))
import test_kafka as T  # noqa: E402

B = T.B


def produce(topic, partitions, n, distinct, plant):
    gen = T.Gen(5)
    events = [gen.json_event(plant)[0] for _ in range(distinct)]
    with tempfile.NamedTemporaryFile('wb', delete=False) as f:
        for i in range(n):
            f.write(events[i % distinct].encode() + b'\n')
        path = f.name
    T.topic_create(topic, partitions)
    with open(path, 'rb') as f:
        r = subprocess.run(['kcat', '-P', '-b', B, '-t', topic, '-z', 'lz4', '-X', 'linger.ms=50',
                            '-X', 'batch.num.messages=10000'], stdin=f, stderr=subprocess.PIPE, timeout=600)
    os.unlink(path)
    if r.returncode:
        raise SystemExit('kcat -P failed: %s' % r.stderr.decode()[-300:])
    nbytes = sum(len(events[i % distinct].encode()) for i in range(n))
    return nbytes


def timed(cmd, **kw):
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    dt = time.time() - t0
    if r.returncode:
        raise SystemExit('%s failed (%d): %s' % (cmd[0], r.returncode, r.stderr.decode()[-400:]))
    return dt, r.stderr.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--piiscan', required=True)
    ap.add_argument('--messages', type=int, default=400000)
    ap.add_argument('--partitions', type=int, default=4)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--distinct', type=int, default=20000)
    ap.add_argument('--plant', type=float, default=0.1)
    ap.add_argument('--json', help='also write the results here')
    args = ap.parse_args()

    stamp = '%d-%d' % (int(time.time()), os.getpid())
    topic = 'bench-kafka-' + stamp
    t0 = time.time()
    nbytes = produce(topic, args.partitions, args.messages, args.distinct, args.plant)
    print('topic %s: %d messages, %.1f MB of values, %d partitions, lz4 (produced in %.1f s)'
          % (topic, args.messages, nbytes / 1e6, args.partitions, time.time() - t0), flush=True)

    work = tempfile.mkdtemp(prefix='piiscan-kafka-bench-')
    env = dict(os.environ, PIISCAN_FINGERPRINT_KEY='kafka-bench-fingerprint-key-0001')
    times = {'kcat -C': [], 'kcat -G': [], 'piiscan': [], 'scan file': []}
    # The engine's ceiling: the same values as a JSON Lines file, scanned
    # by `piiscan scan` with as many threads (page-cached, no broker).
    values = os.path.join(work, 'values.jsonl')
    with open(values, 'wb') as f:
        subprocess.run(['kcat', '-C', '-b', B, '-t', topic, '-o', 'beginning', '-e', '-q'], stdout=f, timeout=600,
                       check=True)
    findings = None
    for run in range(args.runs):
        order = ['kcat -C', 'kcat -G', 'piiscan', 'scan file']
        if run % 2:
            order.reverse()
        for tool in order:
            if tool == 'scan file':
                dt, _ = timed([args.piiscan, 'scan', '-j', str(args.threads), '--findings',
                               os.path.join(work, 'scan.jsonl'), values], timeout=900, env=env)
            elif tool == 'kcat -C':
                dt, _ = timed(['kcat', '-C', '-b', B, '-t', topic, '-o', 'beginning', '-e', '-q'], timeout=600)
            elif tool == 'kcat -G':
                dt, _ = timed(['kcat', '-b', B, '-G', 'bench-kcat-%s-%d' % (stamp, run), '-X',
                               'auto.offset.reset=earliest', '-e', '-q', topic], timeout=600)
            else:
                d = os.path.join(work, 'run%d' % run)
                os.makedirs(d)
                dt, err = timed([args.piiscan, 'kafka', '-b', B, '-G', 'bench-piiscan-%s-%d' % (stamp, run), '-t',
                                 topic, '-e', '-j', str(args.threads), '--findings', os.path.join(d, 'f.jsonl'),
                                 '--manifest-dir', os.path.join(d, 'm')], timeout=900, env=env)
                with open(os.path.join(d, 'f.jsonl'), 'rb') as f:
                    findings = sum(1 for _ in f)
                shutil.rmtree(d)
            times[tool].append(dt)
        print('run %d: %s' % (run + 1, '  '.join('%s %.2f s' % (k, v[-1]) for k, v in times.items())), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    T.run(['bash', os.path.join(ROOT, 'tests', 'kafka', 'topic.sh'), 'delete', topic], timeout=120)

    print()
    print('%-9s %9s %12s %9s %11s' % ('', 'median s', 'messages/s', 'MB/s', 'vs kcat -C'))
    res = {}
    base = statistics.median(times['kcat -C'])
    for tool, ts in times.items():
        m = statistics.median(ts)
        res[tool] = {'median_s': m, 'messages_per_s': args.messages / m, 'mb_per_s': nbytes / 1e6 / m,
                     'runs_s': ts}
        print('%-9s %9.2f %12.0f %9.1f %10.0f%%' % (tool, m, args.messages / m, nbytes / 1e6 / m, 100 * base / m))
    print('\npiiscan: %d findings per run, %d scanning threads; goal: at least 80%% of kcat -C.'
          % (findings or 0, args.threads))
    print('"scan file" is the engine alone on the same values (piiscan scan of a JSON Lines file):'
          ' piiscan kafka reaches %.0f%% of it.' % (100 * statistics.median(times['scan file']) /
                                                    statistics.median(times['piiscan'])))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'messages': args.messages, 'bytes': nbytes, 'partitions': args.partitions,
                       'threads': args.threads, 'findings': findings, 'results': res}, f, indent=2)


if __name__ == '__main__':
    main()
