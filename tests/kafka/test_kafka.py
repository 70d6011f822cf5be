#!/usr/bin/python3
"""End-to-end tests of `piiscan kafka` against the real test broker.

    test_kafka.py --piiscan build/piiscan --helpers build/kafka [--only NAME,...]

Run by tests/kafka/test_kafka.sh (make kafka-test), which starts the broker
and builds the helpers (stream_producer, xxh128sum). Scenarios:

  cli        usage errors exit 2 without touching a broker
  mock       librdkafka's mock cluster, no JVM: -e finds every planted value
             and commits; window manifests list fields by name
  mock_leader  the mock cluster takes a partition's leader away mid-read and
             gives it back: every offset scanned once, -e exits 0
             (make kafka-mock-test runs cli, mock and mock_leader alone)
  group      4-partition topic (none/lz4/zstd/gzip batches, JSON and text
             partitions, planted keys and headers), two consumers in one
             group with -e: every planted value found at its topic,
             partition, offset, field and byte position; manifests cover
             every offset, their xxh3_128 match the topic's bytes, fields are
             classified; --findings-topic holds exactly the file's lines
  chaos      a producer streams planted messages while two consumers run;
             kill -9 one and restart it, restart the broker: every offset is
             scanned (duplicates allowed, counted), every planted value
             found; SIGTERM: exit 0, final manifests, offsets committed
  handover   a backlog scanned with --max-buffer 2 (pauses): SIGTERM
             mid-stream, then a second member with -e takes over: the two
             cover every offset exactly once (a clean exit commits what it
             scanned and nothing more)

Planted values are synthetic (tests/e2e/gen_exports.py's generators,
checked against python-stdnum and phonenumbers); no raw planted value may
appear in any findings, manifest or log, and this script never prints one.
Prints one line per check and "kafka-test: N passed, M failed" last.
"""

import argparse
import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
import gen_exports as G  # noqa: E402

B = '127.0.0.1:' + os.environ.get('KAFKA_PORT', '9092')
RUN = '%d-%d' % (int(time.time()), os.getpid())
FAST = ['-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=1000']

PASS = FAIL = 0
T_START = time.time()


def say(ok, name, t0, detail=''):
    global PASS, FAIL
    dt = time.time() - t0
    if ok:
        PASS += 1
        print('ok   %-64s %6.1f s' % (name, dt), flush=True)
    else:
        FAIL += 1
        print('FAIL %-64s %6.1f s  %s' % (name, dt, detail), flush=True)
    return ok


def check(name, t0, cond, detail=''):
    return say(bool(cond), name, t0, detail if not cond else '')


# ----------------------------------------------------------------- values

class Plant:
    """A planted value and where it must be reported."""
    __slots__ = ('where', 'field', 'rule', 'raw', 'voff', 'vlen', 'partition', 'offset', 'tag')

    def __init__(self, where, field, rule, raw, voff, vlen, tag):
        self.where, self.field, self.rule, self.raw = where, field, rule, raw
        self.voff, self.vlen, self.tag = voff, vlen, tag
        self.partition = self.offset = None

    def desc(self):
        return '%s/%s@%s:%s %s' % (self.partition, self.offset, self.field, self.voff, self.rule)


class Gen:
    """Realistic event messages with planted values; every raw value unique."""

    JSON_PLANTS = [('buyer.mobile', 'cn_mobile'), ('buyer.email', 'email'),
                   ('buyer.id_card', 'cn_resident_id'), ('payment.card_no', 'bank_card'),
                   ('client.ip', 'ipv4'), ('merchant.uscc', 'cn_uscc')]
    TEXT_PLANTS = ['cn_mobile', 'email', 'cn_resident_id', 'bank_card', 'ipv4']

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.V = G.Values(self.r)
        self.used = set()
        self.n = 0

    def raw(self, rule):
        while True:
            if rule == 'cn_mobile':
                v = self.V.mobile_digits()
            elif rule == 'bank_card':
                v = self.V.card_digits()[0]
            elif rule == 'cn_resident_id':
                v, form = self.V.ric()
                if form not in ('plain', 'upper_x'):
                    continue
            else:
                v = self.V.value(rule)[0]
            if v not in self.used:
                self.used.add(v)
                return v

    def _ts(self):
        r = self.r
        return '2024-%02d-%02dT%02d:%02d:%02dZ' % (r.randrange(1, 13), r.randrange(1, 29), r.randrange(24),
                                                 r.randrange(60), r.randrange(60))

    def json_event(self, plant_p):
        """(value str, [Plant]) — a JSON event, sometimes with a planted field."""
        r = self.r
        self.n += 1
        ev = {
            'event': r.choice(['order_created', 'order_paid', 'login', 'profile_updated', 'refund']),
            'ts': self._ts(),
            'trace': self.V.uuid(),
            'order': {'amount': self.V.amount(), 'currency': 'CNY', 'items': [
                {'sku': 'SKU-%d' % r.randrange(100, 99999), 'qty': r.randrange(1, 5)}
                for _ in range(r.randrange(1, 4))]},
            'buyer': {'level': r.choice(['gold', 'silver', 'basic'])},
            'client': {'app': 'shop-app', 'version': self.V.version()},
            'note': self.V.noise(allow_special=False),
        }
        plants = []
        if r.random() < plant_p:
            field, rule = r.choice(self.JSON_PLANTS)
            raw = self.raw(rule)
            top, leaf = field.split('.')
            ev.setdefault(top, {})[leaf] = raw
            plants.append(Plant('value', field, rule, raw, None, len(raw.encode()), 'json'))
        s = json.dumps(ev, ensure_ascii=False, separators=(',', ':'))
        b = s.encode()
        for p in plants:
            p.voff = b.index(p.raw.encode())
            assert b.count(p.raw.encode()) == 1
        return s, plants

    def text_event(self, plant_p):
        r = self.r
        self.n += 1
        head = '%s INFO svc=%s req=%s ' % (self._ts(), r.choice(['payments', 'accounts', 'sms']),
                                           self.V.hexstr(6))
        plants = []
        if r.random() < plant_p:
            rule = r.choice(self.TEXT_PLANTS)
            raw = self.raw(rule)
            pre, post = r.choice(G.TEXT_CTX[rule])
            line = head + pre + raw + post
            p = Plant('value', None, rule, raw, len((head + pre).encode()), len(raw.encode()), 'text')
            plants.append(p)
        else:
            line = head + self.V.noise(allow_special=False)
        return line, plants


# ------------------------------------------------------------- processes

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def topic_create(name, parts):
    r = run(['bash', os.path.join(HERE, 'topic.sh'), 'create', name, str(parts)], timeout=120)
    if r.returncode:
        raise RuntimeError('topic.sh create %s: %s' % (name, r.stderr.decode()[-400:]))


def kcat_produce(topic, partition, lines, codec, headers=()):
    """lines: [(key or None, value)]; returns nothing, raises on failure."""
    cmd = ['kcat', '-P', '-b', B, '-t', topic, '-p', str(partition), '-z', codec, '-K', '\t',
           '-X', 'linger.ms=20']
    for h in headers:
        cmd += ['-H', h]
    data = ''.join('%s\t%s\n' % (k or '', v) for k, v in lines).encode()
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode:
        raise RuntimeError('kcat -P: %s' % r.stderr.decode()[-300:])


def readback(topic):
    """Every message of topic: {(partition, offset): (key bytes, headers str, value bytes)}."""
    r = run(['kcat', '-C', '-b', B, '-t', topic, '-o', 'beginning', '-e', '-q',
             '-f', '%p\t%o\t%k\t%h\t%s\n'], timeout=120)
    if r.returncode:
        raise RuntimeError('kcat -C: %s' % r.stderr.decode()[-300:])
    msgs = {}
    for line in r.stdout.split(b'\n'):
        if not line:
            continue
        p, o, k, h, v = line.split(b'\t', 4)
        msgs[(int(p), int(o))] = (k, h.decode(), v)
    return msgs


def locate(plants, msgs):
    """Fill plant.partition/offset from the topic's content."""
    by_key, by_header = {}, {}
    for (p, o), (k, h, v) in msgs.items():
        by_key.setdefault(k, []).append((p, o))
        by_header.setdefault(h, []).append((p, o))
    missing = 0
    for pl in plants:
        if pl.where == 'key':
            hits = by_key.get(pl.raw.encode(), [])
        else:
            hits = [po for hs, pos in by_header.items() if ('%s=%s' % (pl.tag, pl.raw)) in hs for po in pos]
        if len(hits) != 1:
            missing += 1
            continue
        pl.partition, pl.offset = hits[0]
    return missing


TOKEN = __import__('re').compile(rb'[A-Za-z0-9._+@-]+')


def locate_fast(plants, msgs):
    """locate() for many value plants, in one pass over the messages: a
    planted value is found where it stands as a whole token (not inside a
    longer one, such as one e-mail address inside another)."""
    want = {pl.raw.encode(): pl for pl in plants if pl.where == 'value'}
    hits = {}
    for po, (k, h, v) in msgs.items():
        for tok in TOKEN.findall(v):
            if tok in want:
                hits.setdefault(tok, []).append(po)
    bad = 0
    for raw, pl in want.items():
        where = hits.get(raw, [])
        if len(where) != 1:
            bad += 1
            continue
        pl.partition, pl.offset = where[0]
    rest = [pl for pl in plants if pl.where != 'value']
    return bad + (locate(rest, msgs) if rest else 0)


class Consumer:
    """One `piiscan kafka` process."""

    def __init__(self, ctx, name, group, topic, args=(), findings=True, brokers=B):
        self.ctx, self.name = ctx, name
        self.findings = os.path.join(ctx.work, name + '.jsonl') if findings else None
        self.mdir = os.path.join(ctx.work, name + '-manifests')
        self.log = os.path.join(ctx.work, name + '.log')
        self.cmd = [ctx.piiscan, 'kafka', '-b', brokers, '-G', group, '-t', topic, '--manifest-dir', self.mdir,
                    '-j', '1'] + list(args)
        if self.findings:
            self.cmd += ['--findings', self.findings]
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        logf = open(self.log, 'ab')
        logf.write(('===== run %d: %s\n' % (self.runs, ' '.join(self.cmd[1:]))).encode())
        logf.flush()
        env = dict(os.environ, PIISCAN_FINGERPRINT_KEY='kafka-test-fingerprint-key-0001',
                   PIISCAN_CACHE_DIR=self.ctx.cache)
        self.proc = subprocess.Popen(self.cmd, stdout=logf, stderr=logf, env=env)
        logf.close()
        return self

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def manifests(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.mdir, '*.json'))):
            with open(path) as f:
                out.append(json.load(f))
        return out

    def finding_lines(self):
        if not self.findings or not os.path.exists(self.findings):
            return []
        with open(self.findings, 'rb') as f:
            return [line for line in f.read().split(b'\n') if line]

    def log_text(self):
        with open(self.log, 'rb') as f:
            return f.read()


class Ctx:
    def __init__(self, args):
        self.piiscan = os.path.abspath(args.piiscan)
        self.helpers = os.path.abspath(args.helpers)
        self.work = tempfile.mkdtemp(prefix='piiscan-kafka-test-')
        self.cache = os.environ.get('PIISCAN_CACHE_DIR', os.path.join(ROOT, 'build', 'cache'))
        self.keep = args.keep


# ------------------------------------------------------------- checks

FINDING_KEYS = {'source', 'record', 'field', 'rule', 'offset', 'length', 'confidence', 'masked', 'fingerprint',
                'topic', 'partition'}


def parse_findings(lines):
    out, bad = [], 0
    for line in lines:
        try:
            f = json.loads(line)
        except ValueError:
            bad += 1
            continue
        out.append(f)
    return out, bad


def check_findings(name, t0, topic, plants, findings):
    """Every plant reported at its topic, partition, offset, field and bytes."""
    index = {}
    shape_bad = 0
    for f in findings:
        if set(f) != FINDING_KEYS or not isinstance(f['record'], int) or \
                f['source'] != 'kafka://%s/%d' % (f['topic'], f['partition']):
            shape_bad += 1
        index.setdefault((f['topic'], f['partition'], f['record'], f['rule'], f['offset'], f['length']),
                         []).append(f['field'])
    missing = []
    for pl in plants:
        fields = index.get((topic, pl.partition, pl.offset, pl.rule, pl.voff, pl.vlen))
        if not fields or pl.field not in fields:
            missing.append(pl.desc())
    ok = check(name, t0, not missing and not shape_bad,
               '%d of %d planted values missing (e.g. %s); %d findings with the wrong shape'
               % (len(missing), len(plants), ', '.join(missing[:4]), shape_bad))
    return ok


def check_no_raw(name, t0, ctx, plants, blobs):
    """grep -F for every raw planted value in everything piiscan wrote."""
    raws = os.path.join(ctx.work, 'raws.txt')
    hay = os.path.join(ctx.work, 'outputs.bin')
    with open(raws, 'wb') as f:
        f.write(b''.join(pl.raw.encode() + b'\n' for pl in plants))

    def count(blobs):
        with open(hay, 'wb') as f:
            for blob in blobs:
                f.write(blob + b'\n')
        r = subprocess.run(['grep', '-F', '-c', '-f', raws, hay], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.unlink(hay)
        return int(r.stdout.decode().strip() or '0') if r.returncode in (0, 1) else -1

    canary = count([b'x ' + plants[-1].raw.encode() + b' y'])   # the check itself must see a leak
    leaked = count(blobs)
    os.unlink(raws)
    return check(name, t0, leaked == 0 and canary == 1,
                 '%s line(s) of outputs or logs hold a raw planted value (canary %s)' % (leaked, canary))


def outputs(consumers, extra=()):
    """Everything the consumers wrote: logs, findings, manifests."""
    blobs = list(extra)
    for c in consumers:
        blobs.append(c.log_text())
        blobs += c.finding_lines()
        blobs += [open(p, 'rb').read() for p in glob.glob(os.path.join(c.mdir, '*.json'))]
    return blobs


def coverage(manifests):
    """{partition: [(lo, hi), ...]} over every window of manifests."""
    cov = {}
    for m in manifests:
        for p in m['partitions']:
            for lo, hi in p['ranges']:
                cov.setdefault(p['partition'], []).append((lo, hi))
    return cov


def uncovered(cov, msgs):
    seen = {}
    for p, rs in cov.items():
        s = seen.setdefault(p, set())
        for lo, hi in rs:
            s.update(range(lo, hi + 1))
    return [(p, o) for (p, o) in msgs if o not in seen.get(p, ())]


def scanned_twice(cov):
    n = 0
    for p, rs in cov.items():
        seen = set()
        for lo, hi in rs:
            for o in range(lo, hi + 1):
                n += o in seen
                seen.add(o)
    return n


def committed_rest(group, topic):
    """Messages the group has not committed yet (a fresh kcat member reads them)."""
    r = run(['kcat', '-b', B, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p %o\n',
             topic], timeout=60)
    return [line for line in r.stdout.decode().split('\n') if line]


# ------------------------------------------------------------- scenarios

def scenario_cli(ctx):
    t0 = time.time()
    bad = [
        [ctx.piiscan, 'kafka', '-G', 'g', '-t', 't'],
        [ctx.piiscan, 'kafka', '-b', B, '-t', 't'],
        [ctx.piiscan, 'kafka', '-b', B, '-G', 'g'],
        [ctx.piiscan, 'kafka', '-b', B, '-G', 'g', '-t', 't', '-o', 'yesterday'],
        [ctx.piiscan, 'kafka', '-b', B, '-G', 'g', '-t', 't', '-f', 'csv'],
        [ctx.piiscan, 'kafka', '-b', B, '-G', 'g', '-t', 't', '--manifest-every', '0'],
        [ctx.piiscan, 'kafka', '-b', B, '-G', 'g', '-t', 't', '-X', 'no.such.property=1'],
    ]
    codes = [run(c, timeout=30).returncode for c in bad]
    check('cli: usage and configuration errors exit 2', t0, codes == [2] * len(bad), 'exit codes %s' % codes)
    t0 = time.time()
    conf = os.path.join(ctx.work, 'client.properties')
    with open(conf, 'w') as f:
        f.write('# kcat -F style\nbootstrap.servers=%s\n\nnot a property line\n' % B)
    r = run([ctx.piiscan, 'kafka', '-F', conf, '-G', 'g', '-t', 't'], timeout=30)
    check('cli: -F FILE is read; a bad line is named (file, line 4), exit 2', t0,
          r.returncode == 2 and b"line 4" in r.stderr and conf.encode() in r.stderr,
          'exit %d: %s' % (r.returncode, r.stderr.decode()[-200:]))
    t0 = time.time()
    r = run([ctx.piiscan, 'kafka', '--help'], timeout=30)
    check('cli: kafka --help exits 0 and documents -X/-F/-e/-o', t0,
          r.returncode == 0 and all(o in r.stdout.decode() for o in ('-X KEY=VALUE', '-F FILE', '-e', '-o ')))


def assignment(c):
    """The partitions c's latest run holds according to its log, or None
    while it is between a revocation and an assignment."""
    last = None
    for line in c.log_text().split(b'=====')[-1].split(b'\n'):
        if line.startswith(b'piiscan: kafka: assigned'):
            last = line.count(b'[')
        elif line.startswith(b'piiscan: kafka: revoked') or line.startswith(b'piiscan: kafka: lost'):
            last = None
    return last


def wait_stable(consumers, total, timeout):
    """Until every consumer holds partitions and together they hold total."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        a = [assignment(c) for c in consumers]
        if all(a) and sum(a) == total:
            time.sleep(0.5)
            if [assignment(c) for c in consumers] == a:
                return a
        time.sleep(0.2)
    return None


def wait_covered(consumers, msgs, timeout):
    deadline = time.time() + timeout
    un = None
    while time.time() < deadline:
        un = uncovered(coverage([m for c in consumers for m in c.manifests()]), msgs)
        if not un:
            break
        time.sleep(0.3)
    return un


def scenario_mock(ctx):
    """No broker: librdkafka's mock cluster (tests/kafka/mock_cluster.c)."""
    t0 = time.time()
    topic = 'pk-mock'
    gen = Gen(53)
    plants, lines, counts = [], [], [0, 0, 0]
    for i in range(3000):
        p = i % 3
        v, pls = gen.json_event(0.2) if p != 2 else gen.text_event(0.2)
        for pl in pls:
            pl.partition, pl.offset = p, counts[p]
        counts[p] += 1
        plants += pls
        lines.append('%d\t%s\n' % (p, v))
    mc = subprocess.Popen([os.path.join(ctx.helpers, 'mock_cluster'), topic, '3'], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        mc.stdin.write(''.join(lines).encode())
        mc.stdin.close()
        first = mc.stdout.readline().decode().split()
        if not check('mock: a mock cluster holds 3000 messages in 3 partitions', t0,
                     len(first) == 2 and first[0] == 'bootstrap', mc.stderr.read().decode()[-300:]
                     if mc.poll() is not None else 'no bootstrap address'):
            return
        boot = first[1]

        t0 = time.time()
        c1 = Consumer(ctx, 'mock-c1', 'pk-mock-g', topic, ['-e', '--manifest-every', '500'] + FAST,
                      brokers=boot).start()
        rc = c1.wait(60)
        findings, bad = parse_findings(c1.finding_lines())
        un = uncovered(coverage(c1.manifests()), {(p, o): None for p in range(3) for o in range(counts[p])})
        check('mock: -e scans every offset and exits 0', t0, rc == 0 and not un and not bad,
              'exit %s, %d offsets unscanned, %d bad lines' % (rc, len(un), bad))
        check_findings('mock: every planted value found at its partition and offset', t0, topic, plants, findings)
        t0 = time.time()
        # A file's manifest lists JSON paths by name, not by id (which
        # depends on the thread that met a path first); so must a window's.
        # With one worker ids follow first appearance, which is not name
        # order: listing by id fails this.
        unsorted = []
        for m in c1.manifests():
            names = {}
            for f in m['fields']:
                if f['field'] is not None:
                    names.setdefault(f['source'], []).append(f['field'].encode())
            unsorted += ['%s: %s' % (src, [n.decode() for n in v]) for src, v in names.items() if v != sorted(v)]
        check('mock: window manifests list each partition\'s fields in name order', t0,
              not unsorted and c1.manifests(), '; '.join(unsorted)[:400])

        t0 = time.time()
        c2 = Consumer(ctx, 'mock-c2', 'pk-mock-g', topic, ['-e'] + FAST, brokers=boot).start()
        rc = c2.wait(60)
        n2 = sum(p['messages'] for m in c2.manifests() for p in m['partitions'])
        check('mock: the offsets were committed (a second run scans nothing)', t0, rc == 0 and n2 == 0,
              'exit %s, %d scanned' % (rc, n2))
        check_no_raw('mock: no raw planted value in findings, manifests or logs', t0, ctx, plants,
                     outputs([c1, c2]))
    finally:
        mc.terminate()
        mc.wait(10)


def scenario_mock_leader(ctx):
    """A partition loses its leader mid-read (mock cluster, SIGUSR1) and gets
    it back 2 s later (SIGUSR2): the other partitions go on, nothing is lost
    or scanned twice, and the run ends normally once the leader is back."""
    t0 = time.time()
    topic = 'pk-mock-leader'
    counts = [200, 3000, 200]
    lines = []
    for p, n in enumerate(counts):
        lines += ['%d\t{"event":"order","seq":%d,"note":"%s"}\n' % (p, o, 'x' * 200) for o in range(n)]
    env = dict(os.environ, MOCK_RTT_MS='3')
    mc = subprocess.Popen([os.path.join(ctx.helpers, 'mock_cluster'), topic, '3'], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        mc.stdin.write(''.join(lines).encode())
        mc.stdin.close()
        first = mc.stdout.readline().decode().split()
        if not check('mock leader: a mock cluster holds the messages', t0, len(first) == 2, 'no bootstrap address'):
            return
        t0 = time.time()
        # Small fetches over a slow link: partition 1 takes seconds to read.
        c = Consumer(ctx, 'mock-leader', 'pk-mock-leader-g', topic,
                     ['-e', '--manifest-every', '100', '-X', 'max.partition.fetch.bytes=2048'] + FAST,
                     findings=False, brokers=first[1]).start()
        # Take the leader away once partition 1 is being read (a window
        # manifest shows it), well before its end.
        mid = None
        deadline = time.time() + 30
        while time.time() < deadline and c.proc.poll() is None:
            done = max((hi for m in c.manifests() for p in m['partitions'] if p['partition'] == 1
                        for lo, hi in p['ranges']), default=-1)
            if done >= 100:
                mc.send_signal(signal.SIGUSR1)
                mid = done
                break
            time.sleep(0.02)
        time.sleep(2)
        mc.send_signal(signal.SIGUSR2)
        rc = c.wait(60)
        cov = coverage(c.manifests())
        un = uncovered(cov, {(p, o): None for p in range(3) for o in range(counts[p])})
        twice = scanned_twice(cov)
        check('mock leader: partition 1 lost its leader mid-read (after offset %s of %d)' % (mid, counts[1]), t0,
              mid is not None and mid < counts[1] - 1, 'the read was over before the leader could go')
        check('mock leader: once it is back, every offset is scanned once and -e exits 0', t0,
              rc == 0 and not un and not twice,
              'exit %s, %d offsets unscanned, %d scanned twice; log: %s' % (
                  rc, len(un), twice, c.log_text().decode(errors='replace')[-300:]))
    finally:
        mc.terminate()
        mc.wait(10)


def scenario_group(ctx):
    t0 = time.time()
    topic = 'pk-group-' + RUN
    ftopic = topic + '-findings'
    group = 'pk-group-g-' + RUN
    gen = Gen(11)
    topic_create(topic, 4)
    codecs = ['none', 'lz4', 'zstd', 'gzip']
    plants = []
    per = 2500
    batches = []
    for p in range(4):
        lines = []
        for i in range(per):
            if p == 3:
                v, pls = gen.text_event(0.25)
            else:
                v, pls = gen.json_event(0.25)
            key = 'k-%d-%d' % (p, i)
            if i % 97 == 5:
                raw = gen.raw('cn_mobile')
                key = raw
                pls = pls + [Plant('key', '(key)', 'cn_mobile', raw, 0, len(raw), 'key')]
            lines.append((key, v))
            plants += pls
        batches.append((p, lines, []))
        # A few messages with headers: an e-mail in x-user-email.
        for _ in range(3):
            raw = gen.raw('email')
            v, pls = gen.json_event(0.0) if p != 3 else gen.text_event(0.0)
            batches.append((p, [('h-%d' % p, v)], ['x-user-email=' + raw, 'trace=t1']))
            plants.append(Plant('header', '(header:x-user-email)', 'email', raw, 0, len(raw), 'x-user-email'))
    check('group: generated %d messages with %d planted values' % (sum(len(b[1]) for b in batches), len(plants)),
          t0, True)

    t0 = time.time()
    args = ['--scan-key', '--scan-headers', '--manifest-every', '3000', '--manifest-interval', '2'] + FAST
    c1 = Consumer(ctx, 'group-c1', group, topic, args).start()
    c2 = Consumer(ctx, 'group-c2', group, topic, args + ['--findings-topic', ftopic]).start()
    a = wait_stable([c1, c2], 4, 60)
    if not check('group: two members join the group and split 4 partitions', t0, a, 'assignments never settled'):
        for c in (c1, c2):
            c.signal(signal.SIGKILL)
            c.wait(10)
        return

    t0 = time.time()
    for p, lines, headers in batches:
        kcat_produce(topic, p, lines, codecs[p], headers)
    msgs = readback(topic)
    missing = locate_fast(plants, msgs)
    check('group: produced %d messages to 4 partitions, none/lz4/zstd/gzip batches' % len(msgs), t0,
          len(msgs) == 4 * (per + 3) and not missing, '%d messages, %d plants not located' % (len(msgs), missing))

    t0 = time.time()
    un = wait_covered([c1, c2], msgs, 60)
    check('group: manifests cover every offset of every partition', t0, not un,
          '%d offsets not in any manifest (e.g. %s)' % (len(un), un[:3]))
    for c in (c1, c2):
        c.signal(signal.SIGTERM)
    rc1, rc2 = c1.wait(60), c2.wait(60)
    m1, m2 = c1.manifests(), c2.manifests()
    n1 = sum(p['messages'] for m in m1 for p in m['partitions'])
    n2 = sum(p['messages'] for m in m2 for p in m['partitions'])
    check('group: both members scanned (%d + %d messages) and exit 0 on SIGTERM' % (n1, n2), t0,
          rc1 == 0 and rc2 == 0 and n1 and n2, 'exit codes %s %s' % (rc1, rc2))

    t0 = time.time()
    lines = c1.finding_lines() + c2.finding_lines()
    findings, bad = parse_findings(lines)
    check('group: findings files are whole JSON lines', t0, not bad and findings, '%d bad lines' % bad)
    check_findings('group: every planted value found (value, key, header; json, text)', t0, topic, plants,
                   findings)

    t0 = time.time()
    hashed = wrong = 0
    for m in m1 + m2:
        for p in m['partitions']:
            data = b''.join(msgs[(p['partition'], o)][2] for lo, hi in p['ranges'] for o in range(lo, hi + 1)
                            if (p['partition'], o) in msgs)
            h = subprocess.run([os.path.join(ctx.helpers, 'xxh128sum')], input=data,
                               stdout=subprocess.PIPE).stdout.decode().strip()
            hashed += 1
            wrong += h != p['xxh3_128']
            wrong += p['source'] != 'kafka://%s/%d' % (topic, p['partition'])
    check('group: every window\'s xxh3_128 matches the topic\'s message values (%d)' % hashed, t0,
          hashed and not wrong, '%d of %d wrong' % (wrong, hashed))

    t0 = time.time()
    cls = {}
    for m in m1 + m2:
        for f in m['fields']:
            if f['classification']:
                cls.setdefault((f['source'], f['field']), set()).add(f['classification'])
    want = [('kafka://%s/0' % topic, 'buyer.mobile', 'cn_mobile'), ('kafka://%s/1' % topic, 'buyer.email', 'email'),
            ('kafka://%s/2' % topic, '(key)', 'cn_mobile'),
            ('kafka://%s/0' % topic, '(header:x-user-email)', 'email')]
    missing = [w for w in want if w[2] not in cls.get((w[0], w[1]), ())]
    kinds = all(m['kind'] == 'kafka_window' for m in m1 + m2)
    fmt = {p['partition']: p['format'] for m in m1 + m2 for p in m['partitions']}
    check('group: manifests classify fields (JSON paths, (key), (header:NAME)); formats sniffed', t0,
          kinds and not missing and fmt.get(3) == 'text' and fmt.get(0) == 'jsonl',
          'missing %s; formats %s' % (missing, fmt))

    t0 = time.time()
    modes = [os.stat(p).st_mode & 0o777 for c in (c1, c2) for p in glob.glob(os.path.join(c.mdir, '*.json'))]
    modes += [os.stat(c.findings).st_mode & 0o777 for c in (c1, c2)]
    check('group: manifests and findings files are mode 0600', t0, modes and set(modes) == {0o600},
          'modes %s' % sorted(set(oct(m) for m in modes)))

    t0 = time.time()
    r = run(['kcat', '-C', '-b', B, '-t', ftopic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], timeout=60)
    topic_lines = sorted(line for line in r.stdout.split(b'\n') if line)
    check('group: --findings-topic holds exactly the findings of its member (%d)' % len(topic_lines), t0,
          topic_lines and topic_lines == sorted(c2.finding_lines()),
          '%d in topic, %d in file' % (len(topic_lines), len(c2.finding_lines())))

    t0 = time.time()
    c3 = Consumer(ctx, 'group-c3', group, topic, ['-e']).start()
    rc3 = c3.wait(60)
    n3 = sum(p['messages'] for m in c3.manifests() for p in m['partitions'])
    rest = committed_rest(group, topic)
    check('group: offsets committed: a new member with -e exits 0 with nothing left to scan', t0,
          rc3 == 0 and n3 == 0 and not rest, 'exit %s, %d scanned, %d uncommitted' % (rc3, n3, len(rest)))

    t0 = time.time()
    c4 = Consumer(ctx, 'group-c4', group, topic, ['-e', '-o', 'beginning'], findings=False).start()
    c5 = Consumer(ctx, 'group-c5', 'pk-group-end-' + RUN, topic, ['-e', '-o', 'end'], findings=False).start()
    rc4, rc5 = c4.wait(60), c5.wait(60)
    n4 = sum(p['messages'] for m in c4.manifests() for p in m['partitions'])
    n5 = sum(p['messages'] for m in c5.manifests() for p in m['partitions'])
    check('group: -o beginning rescans a committed group (%d), -o end scans nothing' % n4, t0,
          rc4 == 0 and rc5 == 0 and n4 == len(msgs) and n5 == 0,
          'exit %s %s, scanned %d and %d' % (rc4, rc5, n4, n5))

    t0 = time.time()
    check_no_raw('group: no raw planted value in findings, manifests, topic or logs', t0, ctx, plants,
                 outputs([c1, c2, c3, c4, c5], topic_lines))


def scenario_chaos(ctx):
    t0 = time.time()
    topic = 'pk-chaos-' + RUN
    group = 'pk-chaos-g-' + RUN
    gen = Gen(23)
    topic_create(topic, 3)
    args = ['--manifest-interval', '1'] + FAST
    c1 = Consumer(ctx, 'chaos-c1', group, topic, args).start()
    c2 = Consumer(ctx, 'chaos-c2', group, topic, args).start()

    plants = []
    prod_log = open(os.path.join(ctx.work, 'chaos-producer.log'), 'wb')
    prod = subprocess.Popen([os.path.join(ctx.helpers, 'stream_producer'), B, topic, 'compression.codec=lz4',
                             'linger.ms=20'], stdin=subprocess.PIPE, stderr=prod_log)
    n_msgs = 3000
    rate = 130.0

    def feed():
        start = time.time()
        for i in range(n_msgs):
            v, pls = gen.json_event(0.3)
            plants.extend(pls)
            prod.stdin.write(('kc-%d:%s\n' % (i, v)).encode())
            if i % 20 == 0:
                prod.stdin.flush()
                lag = start + i / rate - time.time()
                if lag > 0:
                    time.sleep(lag)
        prod.stdin.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    time.sleep(5)
    c1.signal(signal.SIGKILL)
    c1.wait(10)
    time.sleep(1)
    c1.start()
    check('chaos: kill -9 one member mid-stream and restart it', t0, c1.proc.poll() is None)
    time.sleep(5)
    t1 = time.time()
    r = run(['bash', os.path.join(HERE, 'broker.sh'), 'restart'], timeout=180)
    check('chaos: restart the broker mid-stream', t1, r.returncode == 0, r.stderr.decode()[-300:])
    feeder.join(120)
    rc = prod.wait(timeout=120)
    prod_log.close()
    check('chaos: the producer delivered all %d messages across the restart' % n_msgs, t0, rc == 0,
          open(os.path.join(ctx.work, 'chaos-producer.log')).read()[-300:])

    t0 = time.time()
    msgs = readback(topic)
    missing = locate_fast(plants, msgs)
    deadline = time.time() + 90
    un = None
    while time.time() < deadline:
        un = uncovered(coverage(c1.manifests() + c2.manifests()), msgs)
        if not un:
            break
        time.sleep(0.5)
    alive = c1.proc.poll() is None and c2.proc.poll() is None
    check('chaos: the members recover and scan every offset (%d messages)' % len(msgs), t0,
          not un and alive and len(msgs) == n_msgs and not missing,
          '%d offsets unscanned; members alive %s; %d messages; %d plants not located'
          % (len(un or []), alive, len(msgs), missing))

    t0 = time.time()
    for c in (c1, c2):
        c.signal(signal.SIGTERM)
    rcs = [c1.wait(60), c2.wait(60)]
    finals = [[m for m in c.manifests() if m['kafka']['final'] and m['kafka']['reason'] == 'shutdown']
              for c in (c1, c2)]
    clean = [b'all scanned offsets committed' in c.log_text().split(b'=====')[-1] for c in (c1, c2)]
    check('chaos: SIGTERM: both exit 0 with a final manifest, offsets committed', t0,
          rcs == [0, 0] and all(finals) and all(clean),
          'exit codes %s, final manifests %s, clean %s' % (rcs, [len(f) for f in finals], clean))

    t0 = time.time()
    rest = committed_rest(group, topic)
    check('chaos: the group\'s committed offsets are at the end of every partition', t0, not rest,
          '%d messages not committed' % len(rest))

    t0 = time.time()
    lines = c1.finding_lines() + c2.finding_lines()
    findings, bad = parse_findings(lines)
    check('chaos: findings files hold whole JSON lines after kill -9', t0, not bad, '%d torn lines' % bad)
    check_findings('chaos: every planted value found', t0, topic, plants, findings)
    keys = {}
    for f in findings:
        k = (f['partition'], f['record'], f['rule'], f['offset'])
        keys[k] = keys.get(k, 0) + 1
    dups = sum(n - 1 for n in keys.values() if n > 1)
    twice = scanned_twice(coverage(c1.manifests() + c2.manifests()))
    print('     (duplicates allowed: %d findings and %d offsets in manifests were scanned more than once)'
          % (dups, twice))

    t0 = time.time()
    check_no_raw('chaos: no raw planted value in findings, manifests or logs', t0, ctx, plants,
                 outputs([c1, c2], [open(os.path.join(ctx.work, 'chaos-producer.log'), 'rb').read()]))


def scenario_handover(ctx):
    t0 = time.time()
    topic = 'pk-handover-' + RUN
    group = 'pk-handover-g-' + RUN
    gen = Gen(37)
    topic_create(topic, 2)
    plants = []
    per = 15000
    for p in range(2):
        lines = []
        for i in range(per):
            v, pls = gen.json_event(0.05)
            plants += pls
            lines.append(('kh-%d' % i, v))
        kcat_produce(topic, p, lines, 'lz4')
    msgs = readback(topic)
    missing = locate_fast(plants, msgs)
    mb = sum(len(v) for _, _, v in msgs.values()) / 1e6
    check('handover: produced a backlog of %d messages (%.1f MB)' % (len(msgs), mb), t0,
          len(msgs) == 2 * per and not missing)

    t0 = time.time()
    args = ['--max-buffer', '2', '-v', '--manifest-every', '2000']
    c1 = Consumer(ctx, 'handover-c1', group, topic, args).start()
    deadline = time.time() + 60
    while time.time() < deadline and not c1.manifests() and c1.proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.2)
    c1.signal(signal.SIGTERM)
    rc = c1.wait(60)
    m1 = c1.manifests()
    log1 = c1.log_text()
    paused = b'piiscan: kafka: paused' in log1
    final = [m for m in m1 if m['kafka']['final'] and m['kafka']['reason'] == 'shutdown']
    n1 = sum(p['messages'] for m in m1 for p in m['partitions'])
    check('handover: SIGTERM mid-backlog: exit 0, final manifest, fetching paused for the scanner', t0,
          rc == 0 and final and paused and b'all scanned offsets committed' in log1,
          'exit %s, final %d, paused %s' % (rc, len(final), paused))
    print('     (member 1 scanned %d of %d messages before SIGTERM)' % (n1, len(msgs)))

    t0 = time.time()
    c2 = Consumer(ctx, 'handover-c2', group, topic, args + ['-e']).start()
    rc = c2.wait(120)
    check('handover: a new member with -e (and pauses) takes over and exits 0 at the end', t0, rc == 0,
          'exit %s' % rc)

    t0 = time.time()
    cov = coverage(m1 + c2.manifests())
    un = uncovered(cov, msgs)
    twice = scanned_twice(cov)
    check('handover: together they scanned every offset exactly once', t0, not un and not twice,
          '%d unscanned, %d twice' % (len(un), twice))

    t0 = time.time()
    lines = c1.finding_lines() + c2.finding_lines()
    findings, bad = parse_findings(lines)
    check_findings('handover: every planted value found', t0, topic, plants, findings)
    check_no_raw('handover: no raw planted value in findings, manifests or logs', t0, ctx, plants, outputs([c1, c2]))


SCENARIOS = [('cli', scenario_cli), ('mock', scenario_mock), ('mock_leader', scenario_mock_leader),
             ('group', scenario_group), ('chaos', scenario_chaos), ('handover', scenario_handover)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--piiscan', required=True)
    ap.add_argument('--helpers', required=True, help='directory with stream_producer and xxh128sum')
    ap.add_argument('--only', help='comma-separated scenarios (%s)' % ','.join(n for n, _ in SCENARIOS))
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()
    ctx = Ctx(args)
    only = set(args.only.split(',')) if args.only else None
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        t0 = time.time()
        try:
            fn(ctx)
        except Exception as e:  # a scenario that cannot run is a failure, not a crash
            say(False, '%s: scenario ran to the end' % name, t0, '%s: %s' % (type(e).__name__, e))
    if FAIL or ctx.keep:
        print('work directory kept: %s' % ctx.work)
    else:
        import shutil
        shutil.rmtree(ctx.work, ignore_errors=True)
        if not only or only & {'group', 'chaos', 'handover'}:
            # This run's topics (a regular expression: one JVM start).
            run(['bash', os.path.join(HERE, 'topic.sh'), 'delete', 'pk-.*' + RUN + '.*'], timeout=120)
    print('kafka-test: %d passed, %d failed (%.0f s)' % (PASS, FAIL, time.time() - T_START))
    return 1 if FAIL else 0


if __name__ == '__main__':
    sys.exit(main())
