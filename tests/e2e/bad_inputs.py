#!/usr/bin/python3
"""Bad inputs for test_bad_input.sh: make them, then judge a scan of each.

    bad_inputs.py make DIR
    bad_inputs.py check CASE --dir DIR --run RUNDIR --baseline BASEDIR

make writes into DIR, from gen_exports.py output (planted values included):
  good.csv          300 records: given in every run; must lose nothing
  src.csv           3000 records: the clean source of the LZ4 cases
  trunc.csv.lz4     src.csv in 64 KB LZ4 blocks, cut at half its size
  corrupt.csv.lz4   the same frame with 64 bytes overwritten in the middle
  clean.csv         600 records: the clean source of the next two
  badutf8.csv       clean.csv with one CJK character (3 bytes) of a name
                    replaced by 3 bytes that are not UTF-8 (same length, so
                    every later offset is unchanged)
  unbalanced.csv    clean.csv up to record K, then record K opens a quote
                    that is never closed (nothing after it has a quote)
  empty.csv         0 bytes
  cases.json        what each case expects (bounds, record numbers)
(The garbage, missing and unreadable files are made by the shell script.)

check reads RUNDIR/{rc,stdout,stderr,manifest.json,findings.jsonl} and
BASEDIR (a scan of good.csv, src.csv and clean.csv alone) and applies the
checks of CASE; it prints one summary line, or the failures and exits 1.
Nothing printed holds a raw value (findings are named by record, field,
rule, offset and length).
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
SANITIZER = re.compile(r'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:')


def gen(outdir, records, seed):
    subprocess.run([PY, os.path.join(HERE, 'gen_exports.py'), outdir, '--records', str(records), '--seed',
                    str(seed), '--formats', 'csv', '--jobs', '1'], check=True)
    with open(os.path.join(outdir, 'export.csv'), 'rb') as f:
        return f.read()


def record_starts(data):
    """Byte offset of each CSV record (index 0: the header), RFC 4180 quotes honoured."""
    starts, inq = [0], False
    for m in re.finditer(rb'["\n]', data):
        if m.group() == b'"':
            inq = not inq
        elif not inq:
            starts.append(m.end())
    if starts[-1] == len(data):
        starts.pop()
    return starts


def make(d):
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, 'gen')
    cases = {}

    gen(tmp + '1', 300, 11)
    shutil.copy(os.path.join(tmp + '1', 'export.csv'), os.path.join(d, 'good.csv'))

    src = gen(tmp + '2', 3000, 12)
    with open(os.path.join(d, 'src.csv'), 'wb') as f:
        f.write(src)
    lz = os.path.join(d, 'src.csv.lz4')
    subprocess.run(['lz4', '-q', '-z', '-f', '-B4', os.path.join(d, 'src.csv'), lz], check=True)
    with open(lz, 'rb') as f:
        frame = f.read()
    os.unlink(lz)
    cut = len(frame) // 2
    with open(os.path.join(d, 'trunc.csv.lz4'), 'wb') as f:
        f.write(frame[:cut])
    bad = bytearray(frame)
    bad[cut:cut + 64] = bytes([0xde, 0xad, 0xbe, 0xef]) * 16
    with open(os.path.join(d, 'corrupt.csv.lz4'), 'wb') as f:
        f.write(bad)
    # how much the reference decoder gets out before the damage
    decoded = len(subprocess.run(['lz4', '-d', '-c', os.path.join(d, 'trunc.csv.lz4')],
                                 capture_output=True).stdout)
    if decoded < 65536:
        raise SystemExit('bad_inputs: the reference decoder decoded only %d bytes' % decoded)
    cases['trunc'] = cases['corrupt'] = {'clean': 'src.csv', 'bound': decoded}

    clean = gen(tmp + '3', 600, 13)
    with open(os.path.join(d, 'clean.csv'), 'wb') as f:
        f.write(clean)
    starts = record_starts(clean)
    # invalid UTF-8: the first CJK name at or after record 300
    k = 300
    while True:
        line_end = clean.index(b',', clean.index(b',', starts[k]) + 1)
        name_at = clean.index(b',', starts[k]) + 1
        name = clean[name_at:line_end]
        if name and name[0] >= 0xe0:
            break
        k += 1
    bad = bytearray(clean)
    bad[name_at:name_at + 3] = b'\xff\xfe\xfd'
    with open(os.path.join(d, 'badutf8.csv'), 'wb') as f:
        f.write(bad)
    cases['badutf8'] = {'clean': 'clean.csv', 'record': k, 'offset': name_at}
    # unbalanced quote: record K's second field opens a quote never closed
    k = 400
    head = clean[:starts[k]]
    opening = '%d,"never closed, 备注 ' % k
    tail = ''.join('%d,Zhang Wei,,,no quotes here,x\n' % (k + i) for i in range(1, 30))
    body = head + opening.encode('utf-8') + b'\n' + tail.encode('utf-8')
    with open(os.path.join(d, 'unbalanced.csv'), 'wb') as f:
        f.write(body)
    cases['unbalanced'] = {'clean': 'clean.csv', 'record': k,
                           'offset': len(head) + len(('%d,' % k).encode())}

    with open(os.path.join(d, 'empty.csv'), 'wb'):
        pass
    for i in (1, 2, 3):
        shutil.rmtree(tmp + str(i))
    with open(os.path.join(d, 'cases.json'), 'w') as f:
        json.dump(cases, f, indent=1)
    return 0


# ---------------------------------------------------------------- check

def load_findings(path):
    out = []
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                out.append(line.rstrip('\n'))
    except OSError:
        pass
    return out


def key(fd):
    return (fd.get('record'), fd.get('field'), fd.get('rule'), fd.get('offset'), fd.get('length'))


def check(a):
    run, d = a.run, a.dir
    problems = []
    notes = []

    def fail(m):
        problems.append(m)

    with open(os.path.join(d, 'cases.json')) as f:
        cases = json.load(f)
    rc = int(open(os.path.join(run, 'rc')).read().strip())
    stderr = open(os.path.join(run, 'stderr'), encoding='utf-8', errors='replace').read()
    bad = a.bad  # the path of the bad input exactly as given (may be None)

    # never a crash, never a sanitizer report
    if rc >= 128:
        fail('exit code %d: killed by signal %d' % (rc, rc - 128))
    if SANITIZER.search(stderr):
        fail('sanitizer report on stderr: %s' % SANITIZER.search(stderr).group())
    try:
        with open(os.path.join(run, 'manifest.json'), encoding='utf-8') as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        fail('no readable manifest: %s' % e)
        man = {}
    sources = {s.get('path'): s for s in man.get('sources') or []}
    lines = load_findings(os.path.join(run, 'findings.jsonl'))
    findings = []
    for line in lines:
        try:
            findings.append(json.loads(line))
        except ValueError:
            fail('a findings line is not JSON')
    by_src = collections.defaultdict(list)
    for line, fd in zip(lines, findings):
        by_src[fd.get('source')].append((line, fd))

    # the good file given in the same run loses nothing
    base_lines = load_findings(os.path.join(a.baseline, 'findings.jsonl'))
    base = collections.defaultdict(list)
    for line in base_lines:
        fd = json.loads(line)
        base[fd.get('source')].append((line, fd))
    good = os.path.join(d, 'good.csv')
    want = collections.Counter(line for line, _ in base[good])
    got = collections.Counter(line for line, _ in by_src[good])
    if not want:
        fail('baseline has no findings for good.csv')
    elif want != got:
        fail('good.csv: %d of its %d findings missing or changed, %d extra' % (
            sum((want - got).values()), sum(want.values()), sum((got - want).values())))
    if good not in sources or sources[good].get('errors'):
        fail('good.csv: missing from the manifest or has errors')

    expect_rc = set(int(x) for x in a.expect_rc.split(','))
    if rc not in expect_rc:
        fail('exit code %d, expected %s' % (rc, ' or '.join(map(str, sorted(expect_rc)))))
    status = man.get('status')
    want_status = {0: 'complete', 1: 'complete', 3: 'partial'}.get(rc)
    if want_status and status != want_status:
        fail('manifest status %r with exit code %d (expected %r)' % (status, rc, want_status))

    if bad is not None:
        src = sources.get(bad)
        errors = (src or {}).get('errors') or []
        if a.error:
            if src is None:
                fail('the manifest has no source %r' % bad)
            elif not errors:
                fail('the manifest records no error for %s' % os.path.basename(bad))
            elif not any(re.search(a.error, str(e.get('message', '')), re.I) for e in errors):
                fail('no error message for %s matches /%s/: %s' % (
                    os.path.basename(bad), a.error, [e.get('message') for e in errors][:3]))
            if bad not in stderr:
                fail('stderr does not name %s' % bad)
        if errors:
            notes.append('error: %s' % str(errors[0].get('message'))[:90])

    case = cases.get(a.case, {})
    if 'clean' in case:  # values decoded before the damage are still found
        clean = os.path.join(d, case['clean'])
        ref = [fd for _, fd in base[clean]]
        if 'bound' in case:
            ref = [fd for fd in ref if fd['offset'] + fd['length'] <= case['bound'] - 4096]
        elif a.case == 'unbalanced':
            ref = [fd for fd in ref if fd['record'] < case['record']]
        elif a.case == 'badutf8':
            ref = [fd for fd in ref if fd['record'] != case['record']]
        have = set(key(fd) for _, fd in by_src[bad])
        lost = [fd for fd in ref if key(fd) not in have]
        if not ref:
            fail('no reference findings before the damage (test bug)')
        elif lost:
            fail('%d of %d findings before the damage lost (first: record %s field %s rule %s offset %s)' % (
                len(lost), len(ref), lost[0]['record'], lost[0]['field'], lost[0]['rule'], lost[0]['offset']))
        else:
            notes.append('%d findings before the damage kept' % len(ref))
        if a.case == 'badutf8':
            later = [fd for fd in ref if fd['record'] > case['record']]
            if not later:
                fail('no reference findings after the bad bytes (test bug)')
    if a.case == 'unbalanced' and bad in sources:
        errs = sources[bad].get('errors') or []
        if not any(e.get('record') == case['record'] or e.get('offset') == case['offset'] for e in errs):
            fail('the unbalanced quote error does not give record %d or offset %d: %s' % (
                case['record'], case['offset'], [(e.get('record'), e.get('offset')) for e in errs][:3]))
    if a.case == 'empty':
        src = sources.get(bad) or {}
        if src.get('records') != 0 or src.get('errors') or by_src[bad]:
            fail('empty.csv: records %r, errors %r, %d findings' % (src.get('records'), src.get('errors'),
                                                                   len(by_src[bad])))
    if a.max_findings is not None and len(by_src[bad]) > a.max_findings:
        fail('%d findings in %s (at most %d expected)' % (len(by_src[bad]), os.path.basename(bad), a.max_findings))
    if a.case.startswith('garbage'):
        notes.append('%d findings in the garbage' % len(by_src[bad]))

    label = 'test_bad_input: %-11s' % a.case
    if problems:
        print('%s FAIL (exit code %d):' % (label, rc))
        for p in problems:
            print('    - ' + p)
        tail = stderr.strip().splitlines()[-3:]
        for t in tail:
            print('    stderr: ' + t[:200])
        return 1
    print('%s ok (exit %d, status %s%s)' % (label, rc, status, ''.join('; ' + n for n in notes)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    m = sub.add_parser('make')
    m.add_argument('dir')
    c = sub.add_parser('check')
    c.add_argument('case')
    c.add_argument('--dir', required=True)
    c.add_argument('--run', required=True)
    c.add_argument('--baseline', required=True)
    c.add_argument('--bad', help='the bad input path as given on the command line')
    c.add_argument('--expect-rc', default='0')
    c.add_argument('--error', help='regex the manifest error message for --bad must match (and stderr names it)')
    c.add_argument('--max-findings', type=int)
    a = ap.parse_args()
    if a.cmd == 'make':
        return make(a.dir)
    return check(a)


if __name__ == '__main__':
    sys.exit(main())
