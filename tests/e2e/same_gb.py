#!/usr/bin/python3
"""same_gb.py UTF8_FINDINGS GB_FINDINGS PAIR...: the findings of GB18030
copies of exports are those of the UTF-8 originals (exit 0), or why not
(exit 1). PAIR is UTF8_PATH=GB_PATH, the source paths as the findings give
them. Per source, line by line: the same record, field, rule, confidence,
masked preview and fingerprint, and offsets that point at the same text:
the GB18030 bytes at offset..offset+length decode to what the UTF-8 bytes
at theirs do."""
import json
import sys


def by_source(path):
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            d = json.loads(line)
            out.setdefault(d['source'], []).append(d)
    return out


def main():
    utf8, gb = by_source(sys.argv[1]), by_source(sys.argv[2])
    total = 0
    for pair in sys.argv[3:]:
        upath, gpath = pair.split('=', 1)
        u, g = utf8.get(upath, []), gb.get(gpath, [])
        if not u:
            sys.exit('%s: no findings to compare' % upath)
        if len(u) != len(g):
            sys.exit('%s: %d findings, its GB18030 copy %d' % (upath, len(u), len(g)))
        ub, gbytes = open(upath, 'rb').read(), open(gpath, 'rb').read()
        for i, (a, b) in enumerate(zip(u, g)):
            for k in ('record', 'field', 'rule', 'confidence', 'masked', 'fingerprint'):
                if a.get(k) != b.get(k):
                    sys.exit('%s finding %d: %s %r, in the GB18030 copy %r' % (upath, i + 1, k, a.get(k), b.get(k)))
            ut = ub[a['offset']:a['offset'] + a['length']].decode('utf-8')
            gt = gbytes[b['offset']:b['offset'] + b['length']].decode('gb18030')
            if ut != gt:
                sys.exit('%s finding %d (record %d, %s): offsets %d+%d and %d+%d hold different text'
                         % (upath, i + 1, a['record'], a['rule'], a['offset'], a['length'],
                            b['offset'], b['length']))
        total += len(u)
    print('same_gb: %d findings in %d GB18030 copies match their originals' % (total, len(sys.argv) - 3))


main()
