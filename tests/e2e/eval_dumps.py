#!/usr/bin/python3
"""Score a piiscan run over the dumps written by gen_dumps.py.

    eval_dumps.py --dir GENDIR --prefix PREFIX --findings F --manifest M
                  --stdout S --stderr E --rc N [--rss-kb K] [--rss-max-kb 262144]
                  [--rules rules] [--schema scanner/manifest.schema.json]
                  [--as-of 2026-01-01] [--min 0.995] [--show 8]

The scan covers every dump in GENDIR (meta.json) plain and as .gz, .zst and
.lz4; PREFIX is what precedes each file name in the findings' source.

A finding matches a label when file, record, field and rule are equal
(one label per record and field; the exact span preferred, then an
overlapping one); each label is matched once. "exact" counts matches whose
offset and length are the label's. Every finding written
counts for precision, whatever its rule: one matching no label is a false
positive (attributed to the finding's rule). Per dump x compression x rule:
recall, precision and exact offset+length each >= MIN where the rule was
planted; precision >= MIN for every rule that shows up.

Also checked: findings of each compressed input identical, line for line,
to the plain input's (source aside); every column's classification as
meta.json expects (free-text columns printed, not asserted), records_total
per column, no field outside the schema; per tagged field the manifest's
action / retain_until / policy / legal_reference as rules/policy.yaml says
(computed here, from --as-of); the manifest validates against the schema;
sources: format sql, compression, encoding (gbk for the GBK dump), records,
bytes, status complete, no errors or warnings; exit code 0, status
complete; no raw planted value in the findings, manifest, stdout or stderr;
manifest and findings mode 0600; peak RSS below --rss-max-kb.

Nothing printed contains a raw value. Exit 0 when every check passes.
"""

import argparse
import calendar
import collections
import datetime
import fnmatch
import gc
import glob
import json
import os
import re
import stat
import sys

COMPRESSIONS = [('', 'none'), ('.gz', 'gzip'), ('.zst', 'zstd'), ('.lz4', 'lz4')]
RULE_ORDER = ['cn_resident_id', 'cn_mobile', 'cn_landline', 'bank_card', 'email', 'ipv4', 'ipv6', 'cn_uscc',
              'cn_passport', 'cn_plate', 'imei', 'aws_access_key', 'cn_name', 'cn_address', 'cn_postal_code',
              'qq_number']
FINDING_KEYS = ['source', 'record', 'field', 'rule', 'offset', 'length', 'confidence', 'masked', 'fingerprint']
CONFIDENCES = {'likely', 'very_likely'}
RE_HEX32 = re.compile(r'^[0-9a-f]{32}$')
RE_MASK_EMAIL = re.compile(r'[^*@]?\*+@[^*]+')
RE_MASK = re.compile(r'[^*]{0,3}\*+[^*]{0,4}')


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def mask_preview(v):
    if '@' in v:
        return v[0] + '***' + v[v.index('@'):]
    keep = min(3, len(v) // 4), min(4, len(v) // 4)
    return v[:keep[0]] + '*' * (len(v) - sum(keep)) + (v[-keep[1]:] if keep[1] else '')


def normal_form(rule, v):
    if rule in ('cn_mobile', 'cn_landline'):
        v = v.strip()
        v = v[3:] if v.startswith('+86') else v[4:] if v.startswith('0086') else v
        return re.sub(r'\D', '', v)
    if rule in ('bank_card', 'imei'):
        return re.sub(r'\D', '', v)
    if rule in ('cn_resident_id', 'cn_uscc'):
        return v.upper()
    if rule == 'email':
        return v.lower()
    return v


class Leaks:
    """Finds any of many needles in a text, keyed on their first K characters."""

    def __init__(self, needles, k):
        self.k = k
        self.by_key = collections.defaultdict(set)
        for n in needles:
            if len(n) >= k:
                self.by_key[n[:k]].add(n)

    def find(self, text):
        hits, k, by_key = [], self.k, self.by_key
        for i in range(len(text) - k + 1):
            cands = by_key.get(text[i:i + k])
            if cands:
                for n in cands:
                    if text.startswith(n, i):
                        hits.append((i, n))
        return hits


# ---------------------------------------------------------------- policy


def load_yaml(path):
    import yaml
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def rule_categories(rules_dir):
    cat, sens = {}, {}
    for path in sorted(glob.glob(os.path.join(rules_dir, '*.yaml'))):
        if os.path.basename(path) == 'policy.yaml':
            continue
        for r in (load_yaml(path) or {}).get('rules') or []:
            cat[r['id']] = r['category']
            sens[r['id']] = bool(r['sensitive'])
    return cat, sens


def add_period(d, spec):
    m = re.fullmatch(r'(\d+)([ymd])', str(spec))
    n, unit = int(m.group(1)), m.group(2)
    if unit == 'd':
        return d + datetime.timedelta(days=n)
    months = n * 12 if unit == 'y' else n
    y, mo = divmod(d.month - 1 + months, 12)
    y += d.year
    mo += 1
    return datetime.date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))


def policy_decision(policy, field, rule, category, as_of):
    """(action, retain_until or None, policy label, reference): the most
    specific entry: fields (glob over the field name) > rules > categories
    > default."""
    entry, label = None, None
    for f in policy.get('fields') or []:
        if fnmatch.fnmatchcase(field or '', f['match']):
            entry, label = f, 'field:' + f['match']
            break
    if entry is None and rule in (policy.get('rules') or {}):
        entry, label = policy['rules'][rule], 'rule:' + rule
    if entry is None and category in (policy.get('categories') or {}):
        entry, label = policy['categories'][category], 'category:' + category
    if entry is None:
        entry, label = policy['default'], 'default'
    until = None
    if entry['action'] == 'archive':
        until = add_period(as_of, entry['retain']).isoformat()
    return entry['action'], until, label, entry.get('reference')


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--dir', required=True)
    ap.add_argument('--prefix', required=True)
    ap.add_argument('--findings', required=True)
    ap.add_argument('--manifest', required=True)
    ap.add_argument('--stdout', required=True)
    ap.add_argument('--stderr', required=True)
    ap.add_argument('--rc', type=int, required=True)
    ap.add_argument('--rss-kb', type=int)
    ap.add_argument('--rss-max-kb', type=int, default=256 * 1024)
    ap.add_argument('--rules', default='rules')
    ap.add_argument('--schema', default='scanner/manifest.schema.json')
    ap.add_argument('--as-of', default='2026-01-01')
    ap.add_argument('--min', type=float, default=0.995)
    ap.add_argument('--show', type=int, default=8)
    a = ap.parse_args()
    gc.disable()

    failures = []

    def fail(msg):
        failures.append(msg)

    with open(os.path.join(a.dir, 'meta.json'), encoding='utf-8') as f:
        meta = json.load(f)['files']
    bases = list(meta)
    variants = [(b, suf, comp) for b in bases for suf, comp in COMPRESSIONS]

    # ---- labels
    with open(os.path.join(a.dir, 'labels.jsonl'), encoding='utf-8') as f:
        raw = json.loads('[' + ','.join(f.read().splitlines()) + ']')
    # (file, record, field, rule, offset, length, value, form)
    labels = [(x['file'], x['record'], x['field'], x['rule'], x['offset'], x['length'], x['value'], x['form'])
              for x in raw]
    del raw
    by_rec = collections.defaultdict(list)
    for i, x in enumerate(labels):
        by_rec[(x[0], x[1])].append(i)
    planted = collections.Counter((x[0], x[3]) for x in labels)

    # ---- findings. Each source's findings are contiguous lines (input
    # order); the plain inputs' are parsed, a compressed twin's must be the
    # very same bytes once its source is replaced by the plain one's.
    with open(a.findings, 'rb') as f:
        data = f.read()
    nlines = data.count(b'\n')
    heads, starts = {}, []
    for b, suf, comp in variants:
        src = a.prefix + b + suf
        heads[src] = b'{"source":' + json.dumps(src, ensure_ascii=False).encode() + b','
        s0 = data.find(heads[src])
        if s0 >= 0:
            starts.append((s0, src))
    starts.sort()
    segments = {src: (0, 0, 0) for src in heads}  # source -> (start, end, lines)
    for k, (s0, src) in enumerate(starts):
        e0 = starts[k + 1][0] if k + 1 < len(starts) else len(data)
        n = data.count(b'\n', s0, e0)
        if data.count(heads[src], s0, e0) != n or (s0 and data[s0 - 1] != 10):
            fail('findings: the findings of %s are not contiguous lines' % src)
        segments[src] = (s0, e0, n)
    if (starts[0][0] if starts else len(data)) != 0:
        fail('findings: lines of unknown sources before the first known one')
    total = sum(n for _, _, n in segments.values())
    if total != nlines:
        fail('findings: %d lines, %d of them in the runs of known sources' % (nlines, total))
    per_source = {src: n for src, (_, _, n) in segments.items()}

    plain = {}
    shape_errors = collections.Counter()
    for b in bases:
        s0, e0, n = segments[a.prefix + b]
        try:
            plain[b] = json.loads('[' + ','.join(data[s0:e0].decode('utf-8').splitlines()) + ']')
        except ValueError as e:
            fail('findings of %s are not JSON lines: %s' % (b, e))
            plain[b] = []
        for fd in plain[b]:
            if list(fd) != FINDING_KEYS:
                shape_errors['finding keys %s' % list(fd)] += 1
            if fd.get('confidence') not in CONFIDENCES:
                shape_errors['confidence %r' % fd.get('confidence')] += 1
            if not RE_HEX32.match(str(fd.get('fingerprint'))):
                shape_errors['fingerprint is not 32 lower-case hex'] += 1
    for what, n in shape_errors.items():
        fail('%d findings: %s' % (n, what))

    # compressed twins: identical findings, source aside
    differing = {}
    for b, suf, comp in variants:
        if comp == 'none':
            continue
        ps, pe, pn = segments[a.prefix + b]
        cs, ce, cn = segments[a.prefix + b + suf]
        mine = data[cs:ce].replace(heads[a.prefix + b + suf], heads[a.prefix + b])
        if mine == data[ps:pe]:
            continue
        mine_lines = mine.decode('utf-8', 'replace').splitlines()
        ref_lines = data[ps:pe].decode('utf-8', 'replace').splitlines()
        first = next((i for i, (x, y) in enumerate(zip(mine_lines, ref_lines)) if x != y),
                     min(len(mine_lines), len(ref_lines)))
        differing[(b, comp)] = []
        for x in mine_lines:
            try:
                differing[(b, comp)].append(json.loads(x))
            except ValueError:
                fail('%s: a findings line is not JSON' % (b + suf))
        fail('%s: findings differ from %s (%d vs %d findings; first difference at finding %d)' % (
            b + suf, b, cn, pn, first + 1))
    del data

    # ---- score each variant
    def score(fname, findings):
        hit = {}
        found, exact, fps = collections.Counter(), collections.Counter(), collections.Counter()
        fp_list = []
        bad_mask = 0
        for fd in findings:
            rule, rec, off, ln, field = fd.get('rule'), fd.get('record'), fd.get('offset'), fd.get('length'), \
                fd.get('field')
            # the label of this record, field and rule (at most one per
            # record and field): the exact span, else an overlapping one,
            # else the one at another offset (found, not exact)
            best, rank = None, 3
            if isinstance(off, int) and isinstance(ln, int):
                for i in by_rec.get((fname, rec), ()):
                    x = labels[i]
                    if i in hit or x[3] != rule or x[2] != field:
                        continue
                    r = 0 if (x[4], x[5]) == (off, ln) else 1 if off < x[4] + x[5] and x[4] < off + ln else 2
                    if r < rank:
                        best, rank = i, r
            m = fd.get('masked')
            if best is None:
                fps[rule] += 1
                fp_list.append(fd)
                if not isinstance(m, str) or not (RE_MASK_EMAIL if '@' in m else RE_MASK).fullmatch(m):
                    bad_mask += 1
                continue
            x = labels[best]
            hit[best] = fd
            found[rule] += 1
            if x[4] == off and x[5] == ln:
                exact[rule] += 1
            if not isinstance(m, str) or x[6] in m or \
                    not (RE_MASK_EMAIL if rule == 'email' else RE_MASK).fullmatch(m):
                bad_mask += 1
        return {'found': found, 'exact': exact, 'fps': fps, 'fp_list': fp_list, 'hit': hit, 'bad_mask': bad_mask}

    scores = {}
    for b in bases:
        scores[(b, 'none')] = score(b, plain[b])
        for suf, comp in COMPRESSIONS[1:]:
            if (b, comp) in differing:
                scores[(b, comp)] = score(b, differing[(b, comp)])
            else:
                scores[(b, comp)] = scores[(b, 'none')]

    # ---- the table
    print('%-11s %-5s %-15s %8s %8s %8s %6s %8s %9s' % ('dump', 'comp', 'rule', 'planted', 'found', 'exact', 'FP',
                                                      'recall', 'precision'))
    bad_cells = []
    for b in bases:
        for suf, comp in COMPRESSIONS:
            if comp != 'none' and (b, comp) not in differing:
                continue
            s = scores[(b, comp)]
            rules = {r for (f, r) in planted if f == b} | set(s['fps'])
            rules = sorted(rules, key=lambda r: (RULE_ORDER.index(r) if r in RULE_ORDER else 99, r))
            tp = tf = tfp = tex = 0
            for rule in rules:
                p, fo, ex, fp = planted[(b, rule)], s['found'][rule], s['exact'][rule], s['fps'][rule]
                tp, tf, tfp, tex = tp + p, tf + fo, tfp + fp, tex + ex
                flag = ''
                if fo + fp and fo < a.min * (fo + fp) or p and (fo < a.min * p or ex < a.min * p):
                    flag = '  <-- FAIL'
                    bad_cells.append((b + suf, rule, pct(fo, p), pct(fo, fo + fp), pct(ex, p)))
                print('%-11s %-5s %-15s %8d %8d %8d %6d %7.2f%% %8.2f%%%s' % (
                    b, comp, rule, p, fo, ex, fp, pct(fo, p), pct(fo, fo + fp), flag))
            print('%-11s %-5s %-15s %8d %8d %8d %6d %7.2f%% %8.2f%%' % (
                b, comp, 'all', tp, tf, tex, tfp, pct(tf, tp), pct(tf, tf + tfp)))
    for b in bases:
        same = [comp for suf, comp in COMPRESSIONS[1:] if (b, comp) not in differing]
        if same:
            print('%-11s %s: findings identical to the plain input (source aside): same scores' % (
                b, '/'.join(same)))
    for name, rule, rec, prec, ex in bad_cells:
        twins = [suf for suf, comp in COMPRESSIONS[1:] if name in bases and (name, comp) not in differing]
        fail('%s %s: recall %.2f%%, precision %.2f%%, exact %.2f%% (need %.1f%%)%s' % (
            name, rule, rec, prec, ex, 100 * a.min, ' (the same in its %s twins)' % ', '.join(twins) if twins else ''))

    # misses, inexact spans and false positives, without raw values
    for b in bases:
        s = scores[(b, 'none')]
        misses = [i for i, x in enumerate(labels) if x[0] == b and i not in s['hit']]
        if misses:
            forms = collections.Counter((labels[i][2], labels[i][3], labels[i][7]) for i in misses)
            print('%s misses by field/rule/form: %s' % (b, ', '.join('%s/%s/%s: %d' % (k + (n,))
                                                                      for k, n in forms.most_common(12))))
            for i in misses[:a.show]:
                x = labels[i]
                print('  miss: %s record %d field %s rule %s offset %d length %d form %s value %s' % (
                    x[0], x[1], x[2], x[3], x[4], x[5], x[7], mask_preview(x[6])))
        inexact = [(i, fd) for i, fd in s['hit'].items()
                   if (fd['offset'], fd['length']) != (labels[i][4], labels[i][5])]
        if inexact:
            forms = collections.Counter((labels[i][2], labels[i][3], labels[i][7]) for i, _ in inexact)
            print('%s inexact spans by field/rule/form: %s' % (b, ', '.join(
                '%s/%s/%s: %d' % (k + (n,)) for k, n in forms.most_common(12))))
            for i, fd in inexact[:a.show]:
                x = labels[i]
                print('  inexact: %s record %d field %s rule %s expected %d+%d got %d+%d form %s' % (
                    x[0], x[1], x[2], x[3], x[4], x[5], fd['offset'], fd['length'], x[7]))
        if s['fp_list']:
            kinds = collections.Counter()
            explained = []
            expected = meta[b]['classification']
            for fd in s['fp_list']:
                field = fd.get('field')
                if field is None:
                    why = 'no field: the record was scanned as text'
                elif field not in expected:
                    why = 'a field outside the schema'
                elif expected[field] is None:
                    why = 'a look-alike column'
                else:
                    why = 'no label'
                for i in by_rec.get((b, fd.get('record')), ()):
                    x = labels[i]
                    if isinstance(fd.get('offset'), int) and fd['offset'] < x[4] + x[5] and \
                            x[4] < fd['offset'] + fd['length']:
                        why = 'a second finding of a found label' if i in s['hit'] and x[3] == fd['rule'] \
                            else 'over the label %s in %s' % (x[3], x[2])
                kinds[(fd.get('field'), fd.get('rule'), why)] += 1
                explained.append((fd, why))
            print('%s false positives by field/rule/cause: %s' % (b, ', '.join(
                '%s/%s/%s: %d' % (k + (n,)) for k, n in kinds.most_common(12))))
            for fd, why in explained[:a.show]:
                print('  false positive: %s record %s field %s rule %s offset %s length %s masked %s (%s)' % (
                    b, fd.get('record'), fd.get('field'), fd.get('rule'), fd.get('offset'), fd.get('length'),
                    fd.get('masked'), why))
        if s['bad_mask']:
            fail('%s: %d masked previews show the value or more than 3 leading + 4 trailing characters' % (
                b, s['bad_mask']))

    # ---- outputs
    outputs = {}
    for what, path in (('manifest', a.manifest), ('stdout', a.stdout), ('stderr', a.stderr)):
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                outputs[what] = f.read()
        except OSError as e:
            outputs[what] = ''
            fail('cannot read %s: %s' % (what, e))
    if a.rc != 0:
        fail('exit code %d, expected 0' % a.rc)
    try:
        man = json.loads(outputs['manifest'])
    except ValueError as e:
        fail('manifest is not JSON: %s' % e)
        man = {}

    # schema
    try:
        import jsonschema
        with open(a.schema, encoding='utf-8') as f:
            schema = json.load(f)
        v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        errs = sorted(v.iter_errors(man), key=lambda e: list(e.absolute_path))
        for e in errs[:a.show]:
            fail('manifest schema: %s: %s' % ('/'.join(map(str, e.absolute_path)) or '(root)', e.message[:200]))
        if len(errs) > a.show:
            fail('manifest schema: %d more errors' % (len(errs) - a.show))
    except ImportError:
        fail('python3-jsonschema is not installed')

    if man.get('status') != 'complete':
        fail('manifest status %r, expected complete' % man.get('status'))
    pol = man.get('policy') or {}
    if pol.get('as_of') != a.as_of:
        fail('manifest policy.as_of %r, expected %s' % (pol.get('as_of'), a.as_of))

    # sources
    sources = {s.get('path'): s for s in man.get('sources') or []}
    for b, suf, comp in variants:
        name = b + suf
        s = sources.get(a.prefix + name)
        if s is None:
            fail('manifest has no source %s' % name)
            continue
        m = meta[b]
        want = {'format': 'sql', 'compression': comp, 'encoding': m['encoding'], 'status': 'complete',
                'records': m['records'], 'bytes_read': m['bytes'],
                'bytes_stored': os.path.getsize(os.path.join(a.dir, name)),
                'findings': per_source[a.prefix + name]}
        for k, w in want.items():
            if s.get(k) != w:
                fail('%s: source %s is %r, expected %r' % (name, k, s.get(k), w))
        errs = s.get('errors') or []
        if errs:
            kinds = collections.Counter(re.sub(r'\d+', 'N', e.get('message', '')) for e in errs)
            fail('%s: %d errors/warnings (+%s not listed): %s; first at byte %s record %s' % (
                name, len(errs), s.get('errors_not_listed'),
                '; '.join('%s x%d' % kv for kv in kinds.most_common(3)), errs[0].get('offset'),
                errs[0].get('record')))

    # fields: classification, records_total, policy
    categories, sensitive = rule_categories(a.rules)
    policy = load_yaml(os.path.join(a.rules, 'policy.yaml'))
    as_of = datetime.date.fromisoformat(a.as_of)
    fields = collections.defaultdict(dict)
    for fl in man.get('fields') or []:
        fields[fl.get('source')][fl.get('field')] = fl
    mismatches = collections.defaultdict(list)  # (base, field, problem) -> [comp]
    free_text = collections.defaultdict(list)
    for b, suf, comp in variants:
        name = b + suf
        got = fields.get(a.prefix + name, {})
        m = meta[b]
        for field, want in m['classification'].items():
            fl = got.get(field)
            if fl is None:
                if m['fields'].get(field):
                    mismatches[(b, field, 'missing from the manifest')].append(comp)
                continue
            cls = fl.get('classification')
            ev = fl.get('evidence') or {}
            evs = 'share %.3f, pass %.3f, name_hint %s' % (ev.get('share', 0), ev.get('validator_pass_rate', 0),
                                                           ev.get('name_hint')) if ev else 'no evidence'
            if want == 'free':
                free_text[(b, field, '%s at %s (%s; rules %s)' % (cls, fl.get('confidence'), evs,
                                                                   fl.get('rules')))].append(comp)
            elif cls != want:
                mismatches[(b, field, 'classified %s at %s, expected %s (%s)' % (
                    cls, fl.get('confidence'), want, evs))].append(comp)
            if fl.get('records_total') != m['fields'][field]:
                mismatches[(b, field, 'records_total %s, expected %d' % (
                    fl.get('records_total'), m['fields'][field]))].append(comp)
            # policy
            if cls is None:
                if fl.get('action') is not None or fl.get('retain_until') is not None:
                    mismatches[(b, field, 'untagged but action %r retain_until %r' % (
                        fl.get('action'), fl.get('retain_until')))].append(comp)
                continue
            cat = categories.get(cls)
            if fl.get('category') != cat or fl.get('sensitive') != sensitive.get(cls):
                mismatches[(b, field, 'category %r sensitive %r, rules say %r %r' % (
                    fl.get('category'), fl.get('sensitive'), cat, sensitive.get(cls)))].append(comp)
            act, until, label, ref = policy_decision(policy, field, cls, cat, as_of)
            gotp = (fl.get('action'), fl.get('retain_until'), fl.get('policy'), fl.get('legal_reference'))
            if gotp != (act, until, label, ref):
                mismatches[(b, field, 'policy %s/%s/%s, expected %s/%s/%s%s' % (
                    gotp[0], gotp[1], gotp[2], act, until, label,
                    '' if gotp[3] == ref else ' (legal_reference differs)'))].append(comp)
        for field, fl in got.items():
            if field not in m['classification'] and fl.get('records_total'):
                mismatches[(b, field, 'field outside the schema with %d records (%s)' % (
                    fl['records_total'], fl.get('rules')))].append(comp)
    for (b, field, what), comps in sorted(free_text.items()):
        print('free text: %s %s: %s [%s]' % (b, field, what, ','.join(comps)))
    for (b, field, what), comps in sorted(mismatches.items(), key=lambda kv: (bases.index(kv[0][0]), str(kv[0][1]))):
        line = '%s %s: %s [%s]' % (b, field, what, ','.join(comps))
        print('column mismatch: ' + line)
        fail('column ' + line)

    # ---- no raw value anywhere
    values = set()
    for x in labels:
        values.add(x[6])
        nf = normal_form(x[3], x[6])
        if len(nf) >= 7:
            values.add(nf)
    long_leaks = Leaks(values, 7)
    short_text = Leaks({v for v in values if len(v) < 7 and not v.isdigit()}, 2)
    short_digits = Leaks({v for v in values if len(v) < 7 and v.isdigit()}, 5)

    def strings(obj, skip=('xxh3_128', 'key_id', 'fingerprint')):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield k
                if k not in skip:
                    yield from strings(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from strings(v)
        elif isinstance(obj, str):
            yield obj

    texts = {'manifest strings': '\n'.join(strings(man)), 'stdout': outputs['stdout'],
             'stderr': outputs['stderr']}
    for what, text in texts.items():
        # counts and sizes are printed as numbers: a 5-6 digit planted value
        # (postal code, QQ number) is only looked for among the manifest's strings
        finders = (long_leaks, short_text, short_digits) if what == 'manifest strings' else (long_leaks, short_text)
        hits = [h for L in finders for h in L.find(text)]
        if hits:
            fail('%d planted values appear in %s (first at character %d: %s)' % (
                len(hits), what, hits[0][0], mask_preview(hits[0][1])))
    # findings: source and field are names; masked was checked per finding
    # against its own value; here against every value
    names = set()
    for b in bases:
        for fd in plain[b]:
            names.add(str(fd.get('field')))
            m = fd.get('masked')
            if isinstance(m, str):
                for part in m.split('*'):
                    if part in values:
                        fail('a masked preview shows a whole planted value (%s)' % mask_preview(part))
                        break
    hits = long_leaks.find('\n'.join(names)) + short_text.find('\n'.join(names))
    if hits:
        fail('planted values appear in the findings field names')

    # ---- modes, memory
    for path in (a.manifest, a.findings):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode != 0o600:
                fail('%s has mode %04o, expected 0600' % (os.path.basename(path), mode))
        except OSError as e:
            fail('cannot stat %s: %s' % (path, e))
    if a.rss_kb is not None:
        big = max(meta.values(), key=lambda m: m['bytes'])
        print('peak RSS %.1f MiB (limit %.0f MiB; largest dump %.1f MB, decompressed)' % (
            a.rss_kb / 1024, a.rss_max_kb / 1024, big['bytes'] / 1e6))
        if a.rss_kb >= a.rss_max_kb:
            fail('peak RSS %d KiB >= %d KiB' % (a.rss_kb, a.rss_max_kb))

    tot_p = len(labels) * len(COMPRESSIONS)
    tot_f = sum(sum(s['found'].values()) for s in scores.values())
    tot_fp = sum(sum(s['fps'].values()) for s in scores.values())
    if failures:
        print('eval_dumps: FAILED (%d):' % len(failures))
        for m in failures:
            print('  - ' + m)
        return 1
    print('eval_dumps: ok: %d labels x %d inputs, %d findings, recall %.3f%%, precision %.3f%%' % (
        len(labels), len(COMPRESSIONS), tot_f + tot_fp, pct(tot_f, tot_p), pct(tot_f, tot_f + tot_fp)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
