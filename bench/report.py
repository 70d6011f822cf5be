#!/usr/bin/python3
"""bench/report.py — turns the raw measurements of bench/run.sh into the
results table (stdout and a .txt) and the results JSON, and checks them
against the goals of issue 3.

    report.py RAW.jsonl RESULTS.json RESULTS.txt

RAW.jsonl holds one JSON object a line, written by run.sh: "meta", "gen",
"corpus", "lz4", "sink", "run" (one timed process), "startup",
"startup_cold", "big_cache", "floor" (bench/floor.c's JSON) and
"floor_decode" (bench/decode.c's CPU seconds). Standard library only.
"""

import datetime
import json
import statistics
import sys

GB = 1e9
MIB = 1024 * 1024

CONFIGS = [
    # key, label in the table
    ('scan_t1', 'scan -o, --threads 1'),
    ('scan_tall', 'scan -o, --threads {T}'),
    ('findings_t1', 'scan -o --findings, --threads 1'),
    ('findings_tall', 'scan -o --findings, --threads {T}'),
    ('rg', 'ripgrep, 6 patterns (1 thread)'),
    ('lz4_tall', 'scan -o, LZ4 input, --threads {T}'),
    ('gz_tall', 'scan -o, gzip -1 input, --threads {T}'),
    ('gbk_tall', 'scan -o, GBK copy, --threads {T}'),   # GB/s of the GBK bytes
]


def summary(values):
    return {'min': min(values), 'median': statistics.median(values), 'max': max(values)}


def load(path):
    recs = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def measure(runs, nbytes):
    """min/median/max of wall time and GB/s (of nbytes) over the runs."""
    walls = [r['wall_us'] / 1e6 for r in runs]
    w = summary(walls)
    out = {
        'runs': len(runs),
        'wall_s': w,
        'wall_s_all': walls,
        # The fastest run is the highest throughput.
        'gb_per_s': {'min': nbytes / w['max'] / GB, 'median': nbytes / w['median'] / GB,
                     'max': nbytes / w['min'] / GB},
        'peak_rss_kib': max(r['maxrss_kib'] for r in runs),
    }
    if all('user_s' in r for r in runs):
        out['user_s'] = summary([r['user_s'] for r in runs])
    if all('cpu_s' in r for r in runs):
        cpu = summary([r['cpu_s'] for r in runs])
        out['cpu_s'] = cpu
        # Bytes per CPU-second: per-core throughput that other load on the
        # machine disturbs less than the wall clock (10 ms resolution).
        out['gb_per_cpu_s'] = nbytes / cpu['median'] / GB if cpu['median'] > 0 else None
    if 'findings' in runs[0]:
        out['findings'] = runs[0]['findings']
        if any(r['findings'] != runs[0]['findings'] for r in runs):
            out['findings_all'] = [r['findings'] for r in runs]
    if runs[0].get('findings_bytes'):
        out['findings_file_bytes'] = runs[0]['findings_bytes']
    if 'matches' in runs[0]:
        out['matches'] = runs[0]['matches']
    return out


def build(recs):
    meta = next(r for r in recs if r['type'] == 'meta')
    res = {
        'schema': 'piiscan-bench/1',
        'label': meta.get('label') or 'unlabelled run',
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'machine': {'cpu': meta['cpu'], 'nproc': meta['nproc'], 'kernel': meta['kernel'],
                    'mem_gib': round(meta['host_mem_kib'] / MIB, 1)},
        'versions': {'piiscan': meta['piiscan'], 'piiscan_sha256': meta.get('piiscan_sha256'),
                     'ripgrep': meta['ripgrep'], 'lz4': meta['lz4']},
        'loadavg': {'start': meta.get('loadavg_start'),
                    'end': next((r['loadavg_end'] for r in recs if r['type'] == 'end'), None)},
        'params': {k: meta[k] for k in ('runs', 'startup_runs', 'seed', 'threads', 'sizes',
                                        'tmpdir', 'gen_hash')},
        'commands': meta['commands'],
        'units': 'GB = 1e9 bytes; sizes with K/M/G are binary (MiB/GiB); '
                 'wall time is the whole process, input in the page cache',
        'generator': [r for r in recs if r['type'] == 'gen'],
        'corpora': {},
    }
    T = meta['threads']
    for c in [r for r in recs if r['type'] == 'corpus' and r['corpus'] != 'big']:
        name = c['corpus']
        runs = [r for r in recs if r['type'] == 'run' and r['corpus'] == name]
        entry = {
            'path': c['path'], 'size': c['size_arg'], 'bytes': c['bytes'],
            'records': c['gen']['records'], 'bytes_per_record': c['bytes'] / max(1, c['gen']['records']),
            'planted': c['gen']['planted'], 'planted_total': c['gen']['planted_total'],
            'names_zh': c['gen'].get('names_zh', 0), 'addresses_zh': c['gen'].get('addresses_zh', 0),
            'measurements': {},
        }
        for r in recs:
            if r['type'] == 'lz4' and r['corpus'] == name:
                entry['lz4_bytes_stored'] = r['bytes_stored']
            if r['type'] == 'gbk' and r['corpus'] == name:
                entry['gbk_bytes'] = r['bytes']
            if r['type'] == 'sink' and r['corpus'] == name:
                entry['findings_sink'] = r['path']
        for key, _ in CONFIGS:
            sel = [r for r in runs if r['config'] == key]
            if sel:
                # Each run says how many bytes it read: the GBK copy's are fewer.
                entry['measurements'][key] = measure(sel, sel[0]['bytes'])
        m = entry['measurements']
        med = lambda k: m[k]['wall_s']['median']
        if 'scan_t1' in m:
            entry['findings'] = m['scan_t1']['findings']
        derived = {}
        if 'scan_t1' in m and 'rg' in m:
            derived['vs_rg_threads_1'] = med('rg') / med('scan_t1')
            derived['vs_rg_threads_all'] = med('rg') / med('scan_tall')
        if 'scan_t1' in m and 'scan_tall' in m:
            derived['scaling_threads_all_vs_1'] = med('scan_t1') / med('scan_tall')
            if 'cpu_s' in m['scan_tall']:
                # CPU time over wall time: how many cores the run kept busy.
                derived['cores_busy_threads_all'] = m['scan_tall']['cpu_s']['median'] / med('scan_tall')
                derived['cores_busy_threads_1'] = m['scan_t1']['cpu_s']['median'] / med('scan_t1')
        indep = [r for r in recs if r['type'] == 'indep' and r['corpus'] == name]
        if indep and 'scan_t1' in m:
            # Summed throughput of T pinned 1-thread scans at once, per run;
            # over the 1-thread run's: the scaling this machine allows.
            agg = [sum(r['bytes'] / (w / 1e6) for w in r['walls_us']) for r in indep]
            entry['independent'] = {'threads': indep[0]['threads'], 'runs': len(indep),
                                    'gb_per_s': {k: v / GB for k, v in summary(agg).items()},
                                    'walls_us': [r['walls_us'] for r in indep]}
            derived['scaling_ceiling'] = statistics.median(agg) / (c['bytes'] / med('scan_t1'))
        n = entry.get('findings', 0)
        if n and 'findings_t1' in m:
            derived['findings_ns_per_finding_threads_1'] = (med('findings_t1') - med('scan_t1')) / n * 1e9
            derived['findings_ns_per_finding_threads_all'] = (med('findings_tall') - med('scan_tall')) / n * 1e9
            derived['findings_bytes_per_line'] = m['findings_t1'].get('findings_file_bytes', 0) / n
            if 'cpu_s' in m['findings_t1']:
                derived['findings_cpu_ns_per_finding_threads_1'] = (
                    m['findings_t1']['cpu_s']['median'] - m['scan_t1']['cpu_s']['median']) / n * 1e9
            if 'user_s' in m['findings_t1'] and 'user_s' in m['scan_t1']:
                # User time only: piiscan's own cost, without the kernel's
                # page allocation for the findings file (tmpfs), which
                # this VM's load moves by seconds.
                derived['findings_user_ns_per_finding_threads_1'] = (
                    m['findings_t1']['user_s']['median'] - m['scan_t1']['user_s']['median']) / n * 1e9
        entry['derived'] = derived
        res['corpora'][name] = entry

    st = [r['wall_us'] / 1e3 for r in recs if r['type'] == 'startup']
    if st:
        res['startup_ms'] = summary(st)
        res['startup_ms']['runs'] = len(st)
    cold = [r['wall_us'] / 1e3 for r in recs if r['type'] == 'startup_cold']
    if cold:
        res['startup_cold_ms'] = cold[0]

    big = [r for r in recs if r['type'] == 'corpus' and r['corpus'] == 'big']
    if big:
        b = big[0]
        runs = [r for r in recs if r['type'] == 'run' and r['corpus'] == 'big']
        warm = next((r['warm'] for r in recs if r['type'] == 'big_cache'), None)
        res['big'] = {'path': b['path'], 'size': b['size_arg'], 'bytes': b['bytes'],
                      'records': b['gen']['records'], 'threads': T, 'page_cache_warm': warm,
                      **measure(runs, b['bytes'])}
    res['floor'] = floor(recs, res)
    res['goals'] = goals(res)
    return res


def floor(recs, res):
    """The parts of the job every design needs, each measured alone
    (bench/floor.c), against the time a record may take at each goal: where
    they add up to more than that, the goal is out of reach on this machine
    whatever the rest costs. Times are ns a record of the corpus's mean
    size; x is the share of the budget."""
    out = {}
    for r in recs:
        if r['type'] != 'floor':
            continue
        f = r['result']
        per_rec = f['sample_bytes'] / f['records']

        def ns(stage):
            st = f['stages'][stage]
            return st['cpu_s'] / st['bytes'] * per_rec * 1e9
        budget = per_rec / f['goal_gb_s']
        entry = {'goal_gb_s': f['goal_gb_s'], 'budget_ns': budget, 'bytes_per_record': per_rec,
                 'values_per_record': f['values'] / f['records'],
                 'ns': {k: ns(k) for k in f['stages']},
                 'validators_ns_by_rule': {k: v['cpu_s'] / f['records'] * 1e9 for k, v in f['rules'].items()}}
        # What every design pays: the bytes out of the page cache, one pass
        # over them for where values may begin (tokens), and each candidate
        # value validated (logs: too few values to matter).
        parts = ['read', 'starts'] + (['validate'] if entry['values_per_record'] >= 1 else [])
        parts = [k for k in parts if k in entry['ns']]
        entry['parts'] = parts
        entry['parts_ns'] = sum(entry['ns'][k] for k in parts)
        entry['parts_x_budget'] = entry['parts_ns'] / budget
        out[r['corpus']] = entry
    dec = [r for r in recs if r['type'] == 'floor_decode']
    dense = out.get('dense-csv')
    if dec and dense and dec[0]['cpu_s']:
        d = dec[0]
        # CPU seconds a GB (decompressed) of decoding, and of the parts above.
        dec_s = statistics.median(d['cpu_s']) / (d['bytes'] / GB)
        parts_s = dense['parts_ns'] / dense['bytes_per_record']
        T = res['params']['threads']
        out['lz4'] = {'goal_gb_s': 1.5, 'threads': T, 'decode_cpu_s_per_gb': dec_s,
                      'parts_cpu_s_per_gb': parts_s,
                      'cores_needed': (dec_s + parts_s) * 1.5, 'cores': T}
    return out


def goals(res):
    """Issue 3's targets, each with what this run measured (None: not run)."""
    C = res['corpora']
    T = res['params']['threads']

    def get(*path):
        d = res
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return None
            d = d[p]
        return d

    big = res.get('big')
    big_note = None
    if big:
        big_note = 'measured on %s (%.2f GB); the goal is for 10 GB: make bench BENCH_BIG_SIZE=10G' % (
            big['size'], big['bytes'] / GB) if big['bytes'] < 10e9 else 'measured on %s' % big['size']
    F = res.get('floor', {})

    def floor_note(corpus, budget_gb_s=None):
        f = F.get(corpus)
        if not f:
            return None
        x = f['parts_x_budget'] * (budget_gb_s / f['goal_gb_s'] if budget_gb_s else 1)
        return 'floor: %s alone, %.2fx its time' % (' + '.join(f['parts']), x)
    rg = get('corpora', 'dense-csv', 'measurements', 'rg', 'gb_per_s', 'median')
    lz = F.get('lz4')
    rows = [
        ('dense CSV manifest job, GB/s per core', '>=', 2.5,
         get('corpora', 'dense-csv', 'measurements', 'scan_t1', 'gb_per_s', 'median'), floor_note('dense-csv')),
        ('dense CSV vs ripgrep, x (1 thread each)', '>=', 10.0,
         get('corpora', 'dense-csv', 'derived', 'vs_rg_threads_1'),
         floor_note('dense-csv', 10 * rg) if rg else None),
        ('--findings cost, ns per finding (dense CSV, 1 thread)', '<=', 100.0,
         get('corpora', 'dense-csv', 'derived', 'findings_ns_per_finding_threads_1'), None),
        ('sparse logs, GB/s per core', '>=', 5.0,
         get('corpora', 'sparse-log', 'measurements', 'scan_t1', 'gb_per_s', 'median'), floor_note('sparse-log')),
        ('LZ4 dense CSV, %d threads, GB/s decompressed' % T, '>=', 1.5,
         get('corpora', 'dense-csv', 'measurements', 'lz4_tall', 'gb_per_s', 'median'),
         'floor: decoding and the parts alone need %.2f of %d cores' % (lz['cores_needed'], lz['cores'])
         if lz else None),
        ('thread scaling, %d threads vs 1 (dense CSV), x' % T, '>=', 1.8,
         get('corpora', 'dense-csv', 'derived', 'scaling_threads_all_vs_1'),
         'the goal is for 2 cores' if T != 2 else
         'machine ceiling %.2f in this run' % get('corpora', 'dense-csv', 'derived', 'scaling_ceiling')
         if get('corpora', 'dense-csv', 'derived', 'scaling_ceiling') else None),
        ('peak RSS on a large input, MiB', '<=', 256.0,
         big['peak_rss_kib'] / 1024 if big else None, big_note),
        ('start-up with the cached rule database, ms', '<=', 20.0,
         get('startup_ms', 'median'), None),
    ]
    out = []
    for name, op, target, value, note in rows:
        met = None if value is None else (value >= target if op == '>=' else value <= target)
        g = {'goal': name, 'target': '%s %g' % (op, target), 'measured': value, 'met': met}
        if note:
            g['note'] = note
        out.append(g)
    return out


def fmt(v, width=10):
    if v is None:
        return '-'.rjust(width)
    if abs(v) >= 100:
        s = '%.1f' % v
    elif abs(v) >= 1:
        s = '%.3f' % v
    else:
        s = '%.4f' % v
    return s.rjust(width)


def table(res):
    T = res['params']['threads']
    L = []
    m = res['machine']
    L.append('piiscan benchmark (issue 3) — %s — %s' % (res['date'], res['label']))
    L.append('machine:  %s, nproc %d, %.1f GiB, %s' % (m['cpu'], m['nproc'], m['mem_gib'], m['kernel']))
    L.append('versions: %s (binary sha256 %s...); %s; lz4 %s' % (
        res['versions']['piiscan'], res['versions']['piiscan_sha256'], res['versions']['ripgrep'],
        res['versions']['lz4']))
    L.append('load:     1/5/15-min load average %s at start, %s at end (other work on the machine '
             'skews the numbers)' % (res['loadavg']['start'], res['loadavg']['end']))
    p = res['params']
    L.append('params:   %d runs per measurement (min / median / max), seed %d, "all threads" = %d, '
             'manifests and --findings files in %s' % (p['runs'], p['seed'], T, p['tmpdir']))
    L.append('units:    ' + res['units'])
    L.append('commands:')
    for k, v in res['commands'].items():
        L.append('  %-9s %s' % (k, v))
    for name, c in res['corpora'].items():
        L.append('')
        names = ' + %d Chinese names' % c['names_zh'] if c.get('names_zh') else ''
        names += ' + %d addresses' % c['addresses_zh'] if c.get('addresses_zh') else ''
        L.append('== %s: %s, %d bytes, %d records (%.0f B each), %d findings (%.2f per record; planted %d%s)' % (
            name, c['size'], c['bytes'], c['records'], c['bytes_per_record'], c.get('findings', 0),
            c.get('findings', 0) / max(1, c['records']), c['planted_total'], names))
        L.append('   file: %s%s' % (c['path'], ' (+ .lz4, %d bytes, ratio %.2f)' % (
            c['lz4_bytes_stored'], c['bytes'] / c['lz4_bytes_stored']) if 'lz4_bytes_stored' in c else ''))
        L.append('   %-40s %10s %10s %10s  %-5s %12s %10s' % ('measurement', 'min', 'median', 'max', 'unit',
                                                               'peak RSS', 'GB/CPU-s'))
        for key, label in CONFIGS:
            x = c['measurements'].get(key)
            if not x:
                continue
            g = x['gb_per_s']
            L.append('   %-40s %s %s %s  %-5s %8.1f MiB %s' % (label.format(T=T), fmt(g['min']),
                                                               fmt(g['median']), fmt(g['max']), 'GB/s',
                                                               x['peak_rss_kib'] / 1024,
                                                               fmt(x.get('gb_per_cpu_s'))))
        d = c['derived']
        if 'vs_rg_threads_1' in d:
            L.append('   piiscan / ripgrep:       %.3fx with 1 thread, %.3fx with %d threads '
                     '(ripgrep counted %d matches)' % (d['vs_rg_threads_1'], d['vs_rg_threads_all'], T,
                                                      c['measurements']['rg'].get('matches', 0)))
        if 'findings_ns_per_finding_threads_1' in d:
            L.append('   --findings adds:         %.1f ns per finding with 1 thread, %.1f with %d threads '
                     '(wall clock); %.1f ns of CPU with 1 thread, %.1f of it user time; %.0f B per line' % (
                         d['findings_ns_per_finding_threads_1'], d['findings_ns_per_finding_threads_all'], T,
                         d.get('findings_cpu_ns_per_finding_threads_1', float('nan')),
                         d.get('findings_user_ns_per_finding_threads_1', float('nan')),
                         d['findings_bytes_per_line']))
        if 'scaling_threads_all_vs_1' in d:
            L.append('   scaling:                 %.2fx with %d threads vs 1; cores kept busy (CPU / wall): '
                     '%.2f with 1 thread, %.2f with %d' % (d['scaling_threads_all_vs_1'], T,
                                                        d.get('cores_busy_threads_1', float('nan')),
                                                        d.get('cores_busy_threads_all', float('nan')), T))
        if 'scaling_ceiling' in d:
            L.append('   machine ceiling:         %.2fx: %d pinned 1-thread scans at once, summed, vs one '
                     '(scaling reached %.0f%% of it)' % (d['scaling_ceiling'], T,
                                                        100 * d.get('scaling_threads_all_vs_1', 0) /
                                                        d['scaling_ceiling']))
    L.append('')
    if 'startup_ms' in res:
        s = res['startup_ms']
        L.append('start-up (empty file, cached rule database, %d runs): min %.1f / median %.1f / max %.1f ms;'
                 ' cold (compiling the rules): %.0f ms' % (s['runs'], s['min'], s['median'], s['max'],
                                                          res.get('startup_cold_ms', 0)))
    if 'big' in res:
        b = res['big']
        L.append('large input: %s' % b['path'])
        L.append('   dense CSV %s (%d bytes), --threads %d, 1 run: %.4f GB/s, %.4f GB/CPU-s, '
                 'peak RSS %.1f MiB%s' % (
            b['size'], b['bytes'], b['threads'], b['gb_per_s']['median'], b.get('gb_per_cpu_s') or 0,
            b['peak_rss_kib'] / 1024,
            '' if b['page_cache_warm'] else ' (not all in the page cache: includes disk reads)'))
    if res.get('floor'):
        L.append('')
        L.append('floor: the parts every design of the job needs, each alone (build/bench/floor, pinned, CPU time),')
        L.append('   in ns a record against the time a record may take at the goal (x: its share)')
        for name, f in res['floor'].items():
            if name == 'lz4':
                L.append('   LZ4 dense CSV at %.1f GB/s: decoding alone %.3f CPU-s a GB, the parts above %.3f: '
                         '%.2f of %d cores' % (f['goal_gb_s'], f['decode_cpu_s_per_gb'], f['parts_cpu_s_per_gb'],
                                               f['cores_needed'], f['cores']))
                continue
            n = f['ns']
            L.append('   %s at %g GB/s: %.1f ns a record; read(2) %.1f (%.2fx), mmap %.1f, token starts %.1f '
                     '(%.2fx), validators alone %.1f (%.2fx, %.2f values a record); the whole scan stage %.1f' % (
                         name, f['goal_gb_s'], f['budget_ns'], n['read'], n['read'] / f['budget_ns'], n['mmap'],
                         n.get('starts', float('nan')), n.get('starts', float('nan')) / f['budget_ns'],
                         n['validate'], n['validate'] / f['budget_ns'], f['values_per_record'], n['scan']))
            L.append('      %s alone: %.2fx the budget' % (' + '.join(f['parts']), f['parts_x_budget']))
    L.append('')
    L.append('goals of issue 3:')
    L.append('   %-56s %10s %12s  %s' % ('goal', 'target', 'measured', 'met'))
    for g in res['goals']:
        met = '-' if g['met'] is None else ('yes' if g['met'] else 'NO')
        L.append('   %-56s %10s %s  %s%s' % (g['goal'], g['target'], fmt(g['measured'], 12), met,
                                             '  (' + g['note'] + ')' if g.get('note') else ''))
    return '\n'.join(L) + '\n'


def main(argv):
    if len(argv) != 4:
        sys.stderr.write('usage: report.py RAW.jsonl RESULTS.json RESULTS.txt\n')
        return 2
    res = build(load(argv[1]))
    text = table(res)
    with open(argv[2], 'w', encoding='utf-8') as f:
        json.dump(res, f, indent=2, ensure_ascii=False)
        f.write('\n')
    with open(argv[3], 'w', encoding='utf-8') as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
