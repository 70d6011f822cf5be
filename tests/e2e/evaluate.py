#!/usr/bin/python3
"""Score a piiscan run against the labels written by gen_exports.py.

    evaluate.py --dir GENDIR --prefix PREFIX --findings F --manifest M
                --stdout S --stderr E --rc N [--min 0.995] [--show 8]

PREFIX is what was put before each generated file name on the command line
(the findings' source is the path exactly as given), e.g. '/tmp/x/'.

Recall and precision per rule x format (csv, jsonl, text, lz4). A finding
matches a label when file, record, field and rule are equal and the byte
spans overlap; each label is matched once. Every finding written counts
for precision, whatever its rule: one matching no label is a false
positive (so is a second finding of the same value). Requirements, each
per rule x format where the rule is planted: recall >= MIN, precision >=
MIN, exact offset+length for >= MIN of the planted values; every other rule
id that shows up: precision >= MIN over all formats.

Also checked: no planted value (nor its normal form when >= 7 characters)
appears in the manifest, stdout, stderr or any findings string (masked
previews must keep at most 3 leading and 4 trailing characters, emails the
first character and the domain); output files are mode 0600; the exit code
is 0 and the manifest says complete, with one source per input (format,
compression, records, bytes, hash, no errors, findings count), and the
fields' classification (the named columns to their rule, look-alike columns
to null); no two findings overlap (one written value, one finding); confidence is likely or very_likely; one normalised value has one
fingerprint (the same number written as 138-1234-5678 and +86 13812345678).

Nothing printed contains a raw value: misses and false positives are shown
as record/field/rule/offset/length with a masked preview.
Exit 0 when every check passes, 1 otherwise.
"""

import argparse
import collections
import gc
import json
import os
import re
import stat
import sys

RULES = ['cn_resident_id', 'cn_mobile', 'cn_landline', 'bank_card', 'email', 'ipv4', 'ipv6', 'cn_uscc',
         'cn_passport', 'cn_plate', 'imei', 'aws_access_key']
CATEGORY = {'cn_resident_id': 'identity', 'cn_passport': 'identity', 'cn_mobile': 'basic',
            'cn_landline': 'basic', 'email': 'basic', 'bank_card': 'financial', 'ipv4': 'network',
            'ipv6': 'network', 'cn_uscc': 'organization', 'cn_plate': 'vehicle', 'imei': 'device',
            'aws_access_key': 'credentials', 'cn_name': 'basic', 'cn_postal_code': 'basic'}
SENSITIVE = {'cn_resident_id', 'cn_passport', 'bank_card', 'aws_access_key'}
CONFIDENCES = {'likely', 'very_likely'}
FINDING_KEYS = {'source', 'record', 'field', 'rule', 'offset', 'length', 'confidence', 'masked', 'fingerprint'}
RE_HEX32 = re.compile(r'^[0-9a-f]{32}$')


_FMT = {}


def fmt_of(name):
    f = _FMT.get(name)
    if f is None:
        f = _FMT[name] = 'lz4' if name.endswith('.lz4') else \
            {'.csv': 'csv', '.jsonl': 'jsonl', '.log': 'text'}[os.path.splitext(name)[1]]
    return f


def normal_form(rule, v):
    """The normalised value (spec: digits only without +86/0086 for phones,
    ids and cards, check character upper-case; e-mail lower-case)."""
    if rule in ('cn_mobile', 'cn_landline'):
        v = v.strip()
        if v.startswith('+86'):
            v = v[3:]
        elif v.startswith('0086'):
            v = v[4:]
        return re.sub(r'\D', '', v)
    if rule in ('bank_card', 'imei'):
        return re.sub(r'\D', '', v)
    if rule in ('cn_resident_id', 'cn_uscc'):
        return v.upper()
    if rule == 'email':
        return v.lower()
    return v


def mask_preview(v):
    """Our own masked preview of a label value, for messages."""
    if '@' in v:
        return v[0] + '***' + v[v.index('@'):]
    keep = min(3, len(v) // 4), min(4, len(v) // 4)
    return v[:keep[0]] + '*' * (len(v) - sum(keep)) + (v[-keep[1]:] if keep[1] else '')


RE_MASK_EMAIL = re.compile(r'[^*@]?\*+@[^*]+')
RE_MASK = re.compile(r'[^*]{0,3}\*+[^*]{0,4}')


def masked_ok(m, is_email):
    return isinstance(m, str) and (RE_MASK_EMAIL if is_email else RE_MASK).fullmatch(m) is not None


class Leaks:
    """Finds any of many needles in texts (keyed on their first 7 characters)."""

    K = 7

    def __init__(self, needles):
        self.by_key = collections.defaultdict(set)
        for n in needles:
            if len(n) >= self.K:
                self.by_key[n[:self.K]].add(n)

    def find(self, text):
        hits = []
        k, by_key = self.K, self.by_key
        for i in range(len(text) - k + 1):
            cands = by_key.get(text[i:i + k])
            if cands:
                for n in cands:
                    if text.startswith(n, i):
                        hits.append((i, n))
        return hits


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--dir', required=True, help='the generator output directory')
    ap.add_argument('--prefix', required=True, help='what precedes each file name in the findings source')
    ap.add_argument('--findings', required=True)
    ap.add_argument('--manifest', required=True)
    ap.add_argument('--stdout', required=True)
    ap.add_argument('--stderr', required=True)
    ap.add_argument('--rc', type=int, required=True)
    ap.add_argument('--min', type=float, default=0.995)
    ap.add_argument('--show', type=int, default=8, help='misses / false positives to print')
    a = ap.parse_args()
    gc.disable()  # a million small objects, no cycles: the collector only costs time

    failures = []

    def fail(msg):
        failures.append(msg)

    with open(os.path.join(a.dir, 'meta.json'), encoding='utf-8') as f:
        meta = json.load(f)
    files = meta['files']
    labels = collections.defaultdict(list)  # (file, record) -> labels
    nlabels = 0
    with open(os.path.join(a.dir, 'labels.jsonl'), encoding='utf-8') as f:
        for line in f:
            x = json.loads(line)
            x['hit'] = None
            labels[(x['file'], x['record'])].append(x)
            nlabels += 1

    # ---- findings
    findings = []
    bad_lines = 0
    with open(a.findings, encoding='utf-8', errors='replace') as f:
        for line in f:
            try:
                findings.append(json.loads(line))
            except ValueError:
                bad_lines += 1
    if bad_lines:
        fail('%d findings lines are not JSON' % bad_lines)

    planted = collections.Counter()
    for (fname, _), xs in labels.items():
        for x in xs:
            planted[(x['rule'], fmt_of(fname))] += 1
    found, exact, fps = collections.Counter(), collections.Counter(), collections.Counter()
    fp_list, shape_errors, conf_errors, extra_keys = [], [], collections.Counter(), collections.Counter()
    per_source = collections.Counter()
    field_strings = set()
    for fd in findings:
        src = fd.get('source')
        if not isinstance(src, str) or not src.startswith(a.prefix) or src[len(a.prefix):] not in files:
            shape_errors.append('finding with unknown source %r' % (src,))
            continue
        fname = src[len(a.prefix):]
        per_source[fname] += 1
        extra = set(fd) - FINDING_KEYS
        for k in extra:
            extra_keys[k] += 1
        missing = FINDING_KEYS - set(fd)
        if missing:
            shape_errors.append('finding without %s' % sorted(missing))
            continue
        if fd['confidence'] not in CONFIDENCES:
            conf_errors[fd['confidence']] += 1
        if not isinstance(fd['fingerprint'], str) or not RE_HEX32.match(fd['fingerprint']):
            shape_errors.append('fingerprint is not 32 lower-case hex characters')
        if isinstance(fd['field'], str):
            field_strings.add(fd['field'])
        rule, rec, off, ln = fd['rule'], fd['record'], fd['offset'], fd['length']
        fmt = fmt_of(fname)
        best = None
        if isinstance(off, int) and isinstance(ln, int) and isinstance(rec, int):
            for x in labels.get((fname, rec), ()):
                if x['hit'] is None and x['rule'] == rule and x['field'] == fd['field'] and \
                        off < x['offset'] + x['length'] and x['offset'] < off + ln:
                    if x['offset'] == off and x['length'] == ln:
                        best = x
                        break
                    if best is None:
                        best = x
        if best is None:
            fps[(rule, fmt)] += 1
            fp_list.append(fd)
            continue
        best['hit'] = fd
        found[(rule, fmt)] += 1
        if best['offset'] == off and best['length'] == ln:
            exact[(rule, fmt)] += 1
    for e in sorted(set(shape_errors))[:a.show]:
        fail(e)
    # one written value is one finding: no two findings may share bytes
    spans = collections.defaultdict(list)
    for fd in findings:
        if isinstance(fd.get('offset'), int) and isinstance(fd.get('length'), int):
            spans[fd.get('source')].append((fd['offset'], fd['offset'] + fd['length'], fd.get('rule')))
    overlaps = collections.Counter()
    for src, sp in spans.items():
        sp.sort()
        end = -1
        for i, (s0, e0, rule) in enumerate(sp):
            if s0 < end:
                overlaps[(rule, sp[i - 1][2])] += 1
            end = max(end, e0)
    if overlaps:
        fail('%d findings overlap another finding of the same source (rule pairs: %s)' % (
            sum(overlaps.values()), ', '.join('%s/%s: %d' % (k + (n,)) for k, n in overlaps.most_common(5))))
    if conf_errors:
        fail('findings below the default threshold or with unknown confidence: %s' % dict(conf_errors))
    if extra_keys:
        print('evaluate: note: findings carry keys beyond the contract: %s' % dict(extra_keys))

    # ---- the table
    cells = sorted(set(planted) | set(fps), key=lambda c: (RULES.index(c[0]) if c[0] in RULES else 99, c))
    print('%-16s %-6s %8s %8s %8s %6s %8s %9s' % ('rule', 'format', 'planted', 'found', 'exact', 'FP',
                                                 'recall', 'precision'))
    bad_cells = []
    for rule, fmt in cells:
        p, fo, ex, fp = planted[(rule, fmt)], found[(rule, fmt)], exact[(rule, fmt)], fps[(rule, fmt)]
        rec_, prec = pct(fo, p), pct(fo, fo + fp)
        flag = ''
        if p:
            if fo < a.min * p or fo < a.min * (fo + fp) or ex < a.min * p:
                flag = '  <-- FAIL'
                bad_cells.append((rule, fmt))
        print('%-16s %-6s %8d %8d %8d %6d %7.2f%% %8.2f%%%s' % (rule, fmt, p, fo, ex, fp,
                                                               rec_, prec, flag))
    tot_p, tot_f, tot_fp = sum(planted.values()), sum(found.values()), sum(fps.values())
    print('%-16s %-6s %8d %8d %8d %6d %7.2f%% %8.2f%%' % ('all', '', tot_p, tot_f, sum(exact.values()), tot_fp,
                                                         pct(tot_f, tot_p), pct(tot_f, tot_f + tot_fp)))
    for rule, fmt in bad_cells:
        fail('%s in %s below %.1f%% (recall, precision or exact offsets)' % (rule, fmt, 100 * a.min))
    # rules without labels in a format, and rules never planted: precision over all formats
    by_rule_found, by_rule_fp = collections.Counter(), collections.Counter()
    for (rule, fmt), n in found.items():
        by_rule_found[rule] += n
    for (rule, fmt), n in fps.items():
        by_rule_fp[rule] += n
    for rule in sorted(by_rule_fp):
        if by_rule_found[rule] < a.min * (by_rule_found[rule] + by_rule_fp[rule]):
            if not any(c[0] == rule for c in bad_cells):
                fail('rule %s: precision %.2f%% over all formats (%d false positives)' %
                     (rule, pct(by_rule_found[rule], by_rule_found[rule] + by_rule_fp[rule]), by_rule_fp[rule]))

    # ---- misses and false positives, without raw values
    misses = [x for xs in labels.values() for x in xs if x['hit'] is None]
    if misses:
        forms = collections.Counter((x['rule'], fmt_of(x['file']), x['form']) for x in misses)
        print('misses by rule/format/form: ' + ', '.join('%s/%s/%s: %d' % (k + (n,)) for k, n in forms.most_common(20)))
        for x in sorted(misses, key=lambda x: (x['file'], x['record']))[:a.show]:
            print('  miss: %s record %d field %s rule %s offset %d length %d form %s value %s' % (
                x['file'], x['record'], x['field'], x['rule'], x['offset'], x['length'], x['form'],
                mask_preview(x['value'])))
    inexact = [x for xs in labels.values() for x in xs
               if x['hit'] is not None and (x['hit']['offset'], x['hit']['length']) != (x['offset'], x['length'])]
    if inexact:
        forms = collections.Counter((x['rule'], fmt_of(x['file']), x['form']) for x in inexact)
        print('inexact spans by rule/format/form: ' + ', '.join('%s/%s/%s: %d' % (k + (n,))
                                                               for k, n in forms.most_common(20)))
        for x in inexact[:a.show]:
            print('  inexact: %s record %d field %s rule %s expected %d+%d got %d+%d form %s' % (
                x['file'], x['record'], x['field'], x['rule'], x['offset'], x['length'],
                x['hit']['offset'], x['hit']['length'], x['form']))
    if fp_list:
        silent = collections.defaultdict(list)  # read only when needed: explains false positives
        with open(os.path.join(a.dir, 'silent.jsonl'), encoding='utf-8') as f:
            for line in f:
                x = json.loads(line)
                silent[(x['file'], x['record'])].append(x)
        kinds = collections.Counter()
        explained = []
        for fd in fp_list:
            fname = fd['source'][len(a.prefix):]
            why = 'unlabelled'
            for s in silent.get((fname, fd['record']), ()):
                if fd['offset'] < s['offset'] + s['length'] and s['offset'] < fd['offset'] + fd['length']:
                    why = 'look-alike ' + s['kind']
            if why == 'unlabelled':
                for x in labels.get((fname, fd['record']), ()):
                    if fd['offset'] < x['offset'] + x['length'] and x['offset'] < fd['offset'] + fd['length']:
                        why = 'duplicate of a found label' if x['hit'] is not None and x['rule'] == fd['rule'] \
                            else 'label is %s in field %s' % (x['rule'], x['field'])
            kinds[(fd['rule'], why)] += 1
            explained.append((fd, why))
        print('false positives by rule/cause: ' + ', '.join('%s/%s: %d' % (k + (n,)) for k, n in kinds.most_common(20)))
        for fd, why in explained[:a.show]:
            print('  false positive: %s record %s field %s rule %s offset %s length %s masked %s confidence %s (%s)' % (
                fd['source'][len(a.prefix):], fd['record'], fd['field'], fd['rule'], fd['offset'], fd['length'],
                fd.get('masked'), fd.get('confidence'), why))

    # ---- masked previews and fingerprints of the matched findings
    bad_mask = 0
    by_norm = collections.defaultdict(set)
    by_fp = collections.defaultdict(set)
    for xs in labels.values():
        for x in xs:
            fd = x['hit']
            if fd is None:
                continue
            m = fd['masked']
            v = x['value']
            if not masked_ok(m, x['rule'] == 'email'):
                bad_mask += 1
            if x['rule'] in ('cn_mobile', 'cn_landline', 'cn_resident_id', 'bank_card', 'imei', 'cn_uscc', 'email'):
                key = (x['rule'], normal_form(x['rule'], v))
            else:
                key = (x['rule'], v)
            by_norm[key].add(fd['fingerprint'])
            by_fp[fd['fingerprint']].add(key)
    if bad_mask:
        fail('%d masked previews show more than the first 3 and last 4 characters (emails: first + domain)'
             % bad_mask)
    split = sum(1 for fps_ in by_norm.values() if len(fps_) > 1)
    merged = sum(1 for keys in by_fp.values() if len(keys) > 1)
    if split:
        fail('%d normalised values have more than one fingerprint (e.g. +86/dash/space forms, '
             'CSV vs its LZ4 twin)' % split)
    if merged:
        fail('%d fingerprints are shared by different values' % merged)

    # ---- no raw value anywhere
    needles = set()
    for xs in labels.values():
        for x in xs:
            needles.add(x['value'])
            nf = normal_form(x['rule'], x['value'])
            if len(nf) >= 7:
                needles.add(nf)
    leaks = Leaks(needles)
    outputs = {}
    for what, path in (('manifest', a.manifest), ('stdout', a.stdout), ('stderr', a.stderr)):
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                outputs[what] = f.read()
        except OSError as e:
            outputs[what] = ''
            fail('cannot read %s: %s' % (what, e))
    outputs['findings field names'] = '\n'.join(sorted(field_strings))
    extra_text = []
    for fd in findings:
        for k in set(fd) - FINDING_KEYS:
            extra_text.append(json.dumps(fd[k], ensure_ascii=False))
    outputs['findings extra keys'] = '\n'.join(extra_text)
    for what, text in outputs.items():
        hits = leaks.find(text)
        if hits:
            fail('%d planted values appear in %s (first at character %d, %s)' % (
                len(hits), what, hits[0][0], mask_preview(hits[0][1])))

    # ---- file modes
    for path in (a.manifest, a.findings):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError as e:
            fail('cannot stat %s: %s' % (path, e))
            continue
        if mode != 0o600:
            fail('%s has mode %04o, expected 0600' % (os.path.basename(path), mode))

    # ---- exit code and manifest
    if a.rc != 0:
        fail('exit code %d, expected 0' % a.rc)
    try:
        man = json.loads(outputs['manifest'])
    except ValueError as e:
        fail('manifest is not JSON: %s' % e)
        man = {}
    check_manifest(man, a, files, per_source, fail)

    if failures:
        print('evaluate: FAILED:')
        for m in failures:
            print('  - ' + m)
        return 1
    print('evaluate: ok: %d labels, %d findings, recall %.3f%%, precision %.3f%%' % (
        nlabels, len(findings), pct(tot_f, tot_p), pct(tot_f, tot_f + tot_fp)))
    return 0


def check_manifest(man, a, files, per_source, fail):
    if not man:
        return
    if man.get('manifest_version') != 1:
        fail('manifest_version is %r, expected 1' % man.get('manifest_version'))
    if man.get('status') != 'complete':
        fail('manifest status is %r, expected complete' % man.get('status'))
    if (man.get('tool') or {}).get('name') != 'piiscan':
        fail('manifest tool.name is not piiscan')
    fpr = man.get('fingerprint') or {}
    if not fpr.get('algorithm') or not fpr.get('key_id'):
        fail('manifest fingerprint lacks algorithm or key_id')
    rs = man.get('rule_set') or {}
    if not rs.get('id') or not RE_HEX32.match(str(rs.get('xxh3_128', ''))):
        fail('manifest rule_set lacks id or a 32-hex xxh3_128')
    for k in ('started_at', 'finished_at'):
        if not man.get(k):
            fail('manifest lacks %s' % k)
    sources = {s.get('path'): s for s in man.get('sources') or []}
    for fname, m in files.items():
        path = a.prefix + fname
        s = sources.get(path)
        if s is None:
            fail('manifest has no source %s' % fname)
            continue
        want_fmt = m['format']
        if s.get('format') != want_fmt:
            fail('%s: format %r, expected %r' % (fname, s.get('format'), want_fmt))
        if s.get('compression') != m['compression']:
            fail('%s: compression %r, expected %r' % (fname, s.get('compression'), m['compression']))
        if s.get('records') != m['records']:
            fail('%s: records %r, expected %d' % (fname, s.get('records'), m['records']))
        if s.get('errors'):
            fail('%s: errors %r' % (fname, s.get('errors')))
        if s.get('findings') != per_source[fname]:
            fail('%s: manifest counts %r findings, the findings file has %d' % (
                fname, s.get('findings'), per_source[fname]))
        size = os.path.getsize(os.path.join(a.dir, fname))
        if s.get('bytes_stored') != size:
            fail('%s: bytes_stored %r, file size %d' % (fname, s.get('bytes_stored'), size))
        if not isinstance(s.get('bytes_read'), int) or s['bytes_read'] < 1:
            fail('%s: bytes_read %r' % (fname, s.get('bytes_read')))
        if not RE_HEX32.match(str(s.get('xxh3_128', ''))):
            fail('%s: xxh3_128 %r is not 32 hex' % (fname, s.get('xxh3_128')))
    fields = collections.defaultdict(dict)
    for fl in man.get('fields') or []:
        fields[fl.get('source')][fl.get('field')] = fl
    for fname, m in files.items():
        want = m.get('classification')
        if not want:
            continue
        got = fields.get(a.prefix + fname, {})
        for field, rule in want.items():
            fl = got.get(field)
            if fl is None:
                if field in m.get('fields', {}) or rule is not None:
                    fail('%s: manifest has no field %s' % (fname, field))
                continue
            if fl.get('classification') != rule:
                fail('%s: field %s classified %r, expected %r' % (fname, field, fl.get('classification'), rule))
            elif rule is None:
                if fl.get('category') is not None:
                    fail('%s: field %s has no classification but category %r' % (fname, field, fl.get('category')))
            else:
                if fl.get('category') != CATEGORY[rule]:
                    fail('%s: field %s category %r, expected %r' % (fname, field, fl.get('category'), CATEGORY[rule]))
                if rule in SENSITIVE and fl.get('sensitive') is not True:
                    fail('%s: field %s (%s) should be sensitive' % (fname, field, rule))
                if fl.get('confidence') not in CONFIDENCES:
                    fail('%s: field %s confidence %r' % (fname, field, fl.get('confidence')))
            if 'fields' in m and field in m['fields'] and fl.get('records_total') != m['fields'][field]:
                fail('%s: field %s records_total %r, expected %d (non-empty values)' % (
                    fname, field, fl.get('records_total'), m['fields'][field]))
            rt, rm = fl.get('records_total'), fl.get('records_matched')
            if not isinstance(rm, int) or not isinstance(rt, int) or rm > rt:
                fail('%s: field %s records_matched %r > records_total %r' % (fname, field, rm, rt))


if __name__ == '__main__':
    sys.exit(main())
