#!/usr/bin/python3
"""Differential test of piiscan's validators against independent libraries.

Usage: /usr/bin/python3 tests/oracle/test_oracle.py build/validate_cli [count]

Generates seeded random values, valid and broken, for each kind, runs them
through the C validators (via the validate_cli batch filter) and through a
reference implementation, and compares the verdicts and normal forms:

  cn_resident_id  stdnum.cn.ric        cn_uscc      stdnum.cn.uscc
  imei            stdnum.imei          bank_card    stdnum.luhn + issuer table
  cn_mobile       phonenumbers MOBILE  cn_landline  phonenumbers FIXED_LINE
  iban            stdnum.iban          ipv4, ipv6   Python's ipaddress

Where piiscan deliberately differs from the reference, the difference is
listed below in DIFFERENCES with its reason, and the test checks that the
C verdict is the deliberate one (it is not merely skipped). Any other
disagreement fails the test. Needs Debian's python3-stdnum (1.18) and
python3-phonenumbers (8.12); nothing from pip.
"""

import datetime
import ipaddress
import random
import re
import subprocess
import sys

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum import iban, imei, luhn, numdb
from stdnum.cn import ric, uscc

SEED = 20240611
DEFAULT_COUNT = 20000
SHOW = 10          # disagreements printed per kind

# Why piiscan's verdict differs from the reference, by key. Each kind's
# `expect` function returns (expected C verdict, key or None).
DIFFERENCES = {
    'ric-region': 'stdnum.cn.ric needs the 6-digit region in its GB/T 2260 '
                  'snapshot; piiscan checks only the province (regions are '
                  'renumbered, old IDs keep their codes; 71/81/82/83/91 are '
                  'not in the snapshot at all)',
    'ric-year': 'stdnum.cn.ric accepts any year datetime accepts; piiscan '
                'only 1900-2100',
    'ric-separators': 'stdnum.cn.ric does not strip separators; piiscan '
                      'accepts an ID written in space or dash groups',
    'uscc-authority-letter': 'stdnum.cn.uscc wants 8 leading digits; '
                             'GB 32100 also has letter authorities (A-G, N, '
                             'Y), which piiscan accepts',
    'uscc-zero-code': 'authority and entity-type codes start at 1; stdnum '
                      'accepts 0 there, piiscan does not',
    'imei-all-same': 'a 15-digit run of one digit passes Luhn only as zeros, '
                     'a placeholder; piiscan rejects it',
    'imei-no-check-digit': 'stdnum.imei accepts 14-digit IMEIs and 16-digit '
                           'IMEISVs, which have no check digit; piiscan only '
                           'confirms the 15-digit form',
    'landline-subscriber-0-1': 'phonenumbers allows subscriber numbers '
                               'starting 0 or 1 in some areas; in China 0 is '
                               'the trunk prefix and 1 starts service '
                               'numbers, so piiscan rejects them',
    'landline-length': 'phonenumbers ties 7 or 8 subscriber digits to each '
                       'area code; piiscan accepts both everywhere, since '
                       'numbers recorded before a city moved to 8 digits '
                       'still identify people',
    'landline-short-service': 'phonenumbers accepts 5- and 6-digit service '
                              'numbers (95xxx, 100xx) after an area code; '
                              'they reach companies, not people, and piiscan '
                              'wants 7 or 8 subscriber digits',
    'landline-toll-free-block': 'phonenumbers treats 010-800x and 021-800x '
                                'as the start of the 10800/21800 toll-free '
                                'block; piiscan does not special-case it',
    'landline-0807': 'phonenumbers knows 0807 only as an 8078xxxxxxx '
                     'anomaly; piiscan leaves 0807 out of its area table',
    'ipv6-not-personal': 'the unspecified (::) and loopback (::1) addresses '
                         'identify no one; piiscan rejects them',
}


def run_cli(cli, name, values):
    """Run the C validator `name` over values; return [(verdict, norm)]."""
    data = ''.join('%s\t%s\n' % (name, v) for v in values).encode()
    out = subprocess.run([cli], input=data, stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    rows = [line.split('\t', 1) for line in out.split('\n')[:-1]]
    if len(rows) != len(values):
        sys.exit('validate_cli: %d answers for %d values' % (len(rows), len(values)))
    for r in rows:
        if r[0] not in ('pass', 'fail', 'weak'):
            sys.exit('validate_cli: %r' % (r,))
    return [(r[0], r[1]) for r in rows]


def digits(rng, n):
    return ''.join(rng.choice('0123456789') for _ in range(n))


def group(s, sizes, sep):
    """s split into pieces of the given sizes and the rest, joined by sep."""
    out, i = [], 0
    for k in sizes:
        if s[i:i + k]:
            out.append(s[i:i + k])
        i += k
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


# ---------------------------------------------------------------- cn_resident_id

RIC_PROVINCES = {int(p) for p in
                 '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 '
                 '46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91'.split()}


def stdnum_data(name):
    """Path of one of stdnum's data files."""
    return numdb.__file__.replace('numdb.py', name)


def ric_regions():
    with open(stdnum_data('cn/loc.dat'), encoding='utf-8') as f:
        return [line[:6] for line in f if re.match(r'\d{6} ', line)]


def ric_with_check(body17):
    return body17 + ric.calc_check_digit(body17 + '0')


def gen_ric(rng, n):
    regions = ric_regions()
    start = datetime.date(1900, 1, 1).toordinal()
    end = datetime.date(2100, 12, 31).toordinal()
    out = []
    for _ in range(n):
        r = rng.random()
        region = rng.choice(regions) if rng.random() < 0.8 else digits(rng, 6)
        date = datetime.date.fromordinal(rng.randint(start, end)).strftime('%Y%m%d')
        if r < 0.15:      # impossible dates and out-of-range years
            date = '%04d%02d%02d' % (rng.randint(1800, 2200), rng.randint(0, 13),
                                     rng.randint(0, 32))
        body = region + date + digits(rng, 3)
        v = ric_with_check(body)
        if 0.15 <= r < 0.35:  # wrong check character
            v = body + rng.choice('0123456789X')
        elif 0.35 <= r < 0.40:
            v = digits(rng, 17) + rng.choice('0123456789Xx')
        elif 0.40 <= r < 0.45:
            v = v.lower()
        elif 0.45 <= r < 0.50:
            v = group(v, [6, 8], rng.choice(' -'))
        out.append(v)
    return out


def ric_stdnum(c):
    """stdnum.cn.ric's checks on the compact c, in its order: (passes all,
    passes all but the region lookup)."""
    if len(c) != 18 or not c[:17].isdigit() or c[17] != ric.calc_check_digit(c):
        return False, False
    try:
        ric.get_birth_date(c)
    except Exception:
        return False, False
    try:
        ric.get_birth_place(c)
    except Exception:
        return False, True
    return True, True


def expect_ric(v):
    c = norm_ric(v)
    ok, ok_but_region = ric_stdnum(c)
    key = 'ric-separators' if c != v.upper() and ok != ric.is_valid(v) else None
    if ok_but_region and not 1900 <= int(c[6:10]) <= 2100:
        return 'fail', 'ric-year' if ok else key
    if ok_but_region and not ok and int(c[:2]) in RIC_PROVINCES:
        return 'pass', 'ric-region'
    return ('pass' if ok else 'fail'), key


def norm_ric(v):
    return v.replace(' ', '').replace('-', '').upper()


# ---------------------------------------------------------------- cn_uscc

USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
USCC_AUTHORITIES = '123456789ABCDEFGNY'


def gen_uscc(rng, n):
    out = []
    for _ in range(n):
        r = rng.random()
        first = rng.choice(USCC_AUTHORITIES) if rng.random() < 0.9 else rng.choice('0HKZ')
        second = rng.choice('123456789') if rng.random() < 0.9 else '0'
        body = first + second + digits(rng, 6) + ''.join(
            rng.choice(USCC_ALPHABET) for _ in range(9))
        total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(
            body, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))
            if ch in USCC_ALPHABET)
        v = body + USCC_ALPHABET[(31 - total) % 31]
        if r < 0.2:
            v = body + rng.choice(USCC_ALPHABET)
        elif r < 0.25:
            v = body + rng.choice('IOSVZ')
        elif r < 0.30:
            v = v[:rng.randint(2, 16)] + rng.choice('IOSVZ') + v[17:]
        elif r < 0.35:
            v = v.lower()
        elif r < 0.40:
            v = group(v, [2, 6], rng.choice(' -'))
        elif r < 0.45:
            v = v[:rng.choice([17, 19])] if rng.random() < 0.5 else v + '1'
        out.append(v)
    return out


def expect_uscc(v):
    lib = uscc.is_valid(v)
    c = uscc.compact(v)
    if len(c) != 18:
        return ('pass' if lib else 'fail'), None
    if c[0] == '0' or c[1] == '0':
        return 'fail', 'uscc-zero-code' if lib else None
    if c[0] in 'ABCDEFGNY' and not lib:
        # stdnum's verdict on the same code under a digit authority of the
        # same value can't be had, so check the rest of the format and the
        # check character here.
        rest_ok = c[1] in '123456789' and c[2:8].isdigit() and all(
            ch in USCC_ALPHABET for ch in c[8:])
        if rest_ok and uscc.calc_check_digit(c) == c[17]:
            return 'pass', 'uscc-authority-letter'
    return ('pass' if lib else 'fail'), None


# ---------------------------------------------------------------- imei

def luhn_complete(body):
    return body + luhn.calc_check_digit(body)


def gen_imei(rng, n):
    out = []
    for _ in range(n):
        r = rng.random()
        v = luhn_complete(digits(rng, 14))
        if r < 0.3:
            v = v[:14] + rng.choice('0123456789')
        elif r < 0.35:
            v = rng.choice('0123456789') * 15
        elif r < 0.40:
            v = v[:14] if rng.random() < 0.5 else v[:14] + digits(rng, 2)
        elif r < 0.50:
            v = group(v, [2, 6, 6], rng.choice(' -'))
        elif r < 0.55:
            v = group(v, [6, 2, 6], '-')
        out.append(v)
    return out


def expect_imei(v):
    lib = imei.is_valid(v)
    c = imei.compact(v)
    if lib and len(c) != 15:
        return 'fail', 'imei-no-check-digit'
    if lib and len(set(c)) == 1:
        return 'fail', 'imei-all-same'
    return ('pass' if lib else 'fail'), None


# ---------------------------------------------------------------- bank_card

def card_network(d):
    """Issuer table, written from the networks' published IIN ranges."""
    n = len(d)
    if d.startswith('4'):
        return 'visa' if n in (13, 16, 19) else None
    if 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720:
        return 'mastercard' if n == 16 else None
    if d.startswith('62'):
        return 'unionpay' if 16 <= n <= 19 else None
    if d[:2] in ('34', '37'):
        return 'amex' if n == 15 else None
    if 3528 <= int(d[:4]) <= 3589:
        return 'jcb' if 16 <= n <= 19 else None
    if d.startswith('6011') or d.startswith('65') or 644 <= int(d[:3]) <= 649:
        return 'discover' if 16 <= n <= 19 else None
    return None


CARD_PREFIXES = ['4', '51', '52', '53', '54', '55', '2221', '2500', '2720', '62',
                 '34', '37', '3528', '3589', '6011', '644', '649', '65',
                 # near misses
                 '50', '56', '2220', '2721', '30', '36', '38', '3527', '3590',
                 '6010', '643', '63', '64', '1', '7', '8', '9']


def gen_card(rng, n):
    out = []
    for _ in range(n):
        prefix = rng.choice(CARD_PREFIXES)
        length = rng.randint(12, 20)
        body = prefix + digits(rng, max(0, length - len(prefix) - 1))
        v = luhn_complete(body) if rng.random() < 0.5 else body + rng.choice('0123456789')
        r = rng.random()
        if r < 0.1:
            v = group(v, [4, 4, 4, 4], rng.choice(' -'))
        elif r < 0.12:
            v = v[0] * len(v)
        out.append(v)
    return out


def expect_card(v):
    d = v.replace(' ', '').replace('-', '')
    if not (13 <= len(d) <= 19):
        return 'fail', None
    net = card_network(d)
    ok = luhn.is_valid(d)
    if len(set(d)) == 1:
        # No all-same number has a listed prefix, so this is never a
        # difference; still the C side must fail it.
        return 'fail', None
    if net and ok:
        return 'pass', None
    if net == 'unionpay':
        return 'weak', None
    return 'fail', None


# ---------------------------------------------------------------- cn_mobile

def mobile_forms(rng, nat):
    form = rng.randrange(9)
    if form == 0:
        return nat
    if form == 1:
        return '+86' + nat
    if form == 2:
        return '+86 ' + nat
    if form == 3:
        return '+86-' + group(nat, [3, 4], '-')
    if form == 4:
        return '0086' + nat
    if form == 5:
        return '0086 ' + group(nat, [3, 4], ' ')
    if form == 6:
        return group(nat, [3, 4], ' ')
    if form == 7:
        return group(nat, [3, 4], '-')
    return nat[:rng.choice([10, 12])] if len(nat) >= 12 else nat[:10]


def gen_mobile(rng, n):
    out = []
    # Every 5-digit prefix 10000-19999 once, so the whole table is covered...
    for p in range(10000, 20000):
        out.append(str(p) + digits(rng, 6))
    # ...then random numbers in random written forms.
    for _ in range(n):
        nat = '1' + digits(rng, 10)
        if rng.random() < 0.1:
            nat = '1740' + digits(rng, 7)
        if rng.random() < 0.05:
            nat += digits(rng, 1)
        out.append(mobile_forms(rng, nat))
    return out


def mobile_national(v):
    for p in ('+86', '0086'):
        if v.startswith(p):
            v = v[len(p):]
            break
    return v.replace(' ', '').replace('-', '')


def expect_mobile(v):
    nat = mobile_national(v)
    if len(nat) != 11 or not nat.isdigit():
        return 'fail', None
    num = phonenumbers.parse('+86' + nat)
    ok = phonenumbers.is_valid_number(num) and \
        phonenumbers.number_type(num) == PhoneNumberType.MOBILE
    return ('pass' if ok else 'fail'), None


# ---------------------------------------------------------------- cn_landline

def pn_fixed(nat):
    num = phonenumbers.parse('+86' + nat)
    return phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in (
        PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


PROBES = {7: ['2345678', '3456789', '5678901', '8765432', '6000000'],
          8: ['23456789', '34567890', '56789012', '87654321', '60000000']}


def area_codes():
    """Area codes phonenumbers accepts ordinary subscribers in, by length."""
    codes = {}
    for code in ['10'] + ['2%d' % i for i in range(10)] + [str(c) for c in range(300, 1000)]:
        lens = {L for L in (7, 8) if any(pn_fixed(code + s) for s in PROBES[L])}
        if lens:
            codes[code] = lens
    return codes


AREA_CODES = {}


def gen_landline(rng, n):
    codes = sorted(AREA_CODES)
    out = []
    for _ in range(n):
        if rng.random() < 0.7:
            code = rng.choice(codes)
        else:
            code = str(rng.choice([rng.randint(10, 29), rng.randint(300, 999)]))
        sub = str(rng.randint(2, 9)) if rng.random() < 0.85 else rng.choice('019')
        sub += digits(rng, rng.choice([6, 6, 7, 7, 5, 8]))
        form = rng.randrange(7)
        if form == 0:
            v = '0%s-%s' % (code, sub)
        elif form == 1:
            v = '0%s %s' % (code, sub)
        elif form == 2:
            v = '(0%s)%s' % (code, sub)
        elif form == 3:
            v = '+86-%s-%s' % (code, sub)
        elif form == 4:
            v = '0086 %s %s' % (code, sub)
        elif form == 5:
            v = '0%s%s' % (code, sub)
        else:
            v = '0%s-%s-%s' % (code, sub[:len(sub) - 4], sub[-4:])
        out.append(v)
    return out


def landline_split(v):
    """(area code, subscriber) of a generated value."""
    m = re.match(r'^(?:\+86-|0086 |\(0|0)(1\d|2\d|[3-9]\d\d)\)?[ -]?(\d+)(?:-(\d+))?$', v)
    return m.group(1), m.group(2) + (m.group(3) or '')


def expect_landline(v):
    code, sub = landline_split(v)
    lib = pn_fixed(code + sub)
    if code == '807':
        return 'fail', 'landline-0807' if lib else None
    if lib and sub[0] in '01':
        return 'fail', 'landline-subscriber-0-1'
    if lib and len(sub) < 7:
        return 'fail', 'landline-short-service'
    if not lib and code in AREA_CODES and sub[0] in '23456789' and len(sub) in (7, 8):
        if len(sub) not in AREA_CODES[code]:
            return 'pass', 'landline-length'
        if code in ('10', '21') and sub.startswith('800'):
            return 'pass', 'landline-toll-free-block'
    return ('pass' if lib else 'fail'), None


def norm_landline(v):
    code, sub = landline_split(v)
    return '0' + code + sub


# ---------------------------------------------------------------- iban

def iban_layouts():
    layouts = {}
    with open(stdnum_data('iban.dat'), encoding='utf-8') as f:
        for line in f:
            m = re.match(r'([A-Z]{2}) .*bban="([^"]*)"', line)
            if m:
                layouts[m.group(1)] = re.findall(r'(\d+)!([nac])', m.group(2))
    return layouts


def gen_iban(rng, n):
    layouts = iban_layouts()
    countries = sorted(layouts)
    classes = {'n': '0123456789', 'a': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
               'c': '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'}
    out = []
    for _ in range(n):
        cc = rng.choice(countries) if rng.random() < 0.95 else rng.choice(['XX', 'US', 'CN', 'ZZ'])
        layout = layouts.get(cc, [('18', 'n')])
        if rng.random() < 0.05:
            layout = [('1', 'c')] + layout          # wrong length
        bban = ''.join(rng.choice(classes[t]) for k, t in layout for _ in range(int(k)))
        v = cc + '00' + bban
        v = cc + iban.calc_check_digits(v) + bban
        r = rng.random()
        if r < 0.25:
            v = v[:2] + digits(rng, 2) + v[4:]
        elif r < 0.35:
            i = rng.randrange(4, len(v))
            v = v[:i] + rng.choice(classes['c']) + v[i + 1:]
        if rng.random() < 0.3:
            v = ' '.join(v[i:i + 4] for i in range(0, len(v), 4))
        if rng.random() < 0.1:
            v = v.lower()
        out.append(v)
    return out


def expect_iban(v):
    return ('pass' if iban.is_valid(v, check_country=False) else 'fail'), None


# ---------------------------------------------------------------- ipv4, ipv6

def gen_ipv4(rng, n):
    out = []
    for _ in range(n):
        parts = [str(rng.choice([rng.randint(0, 255), rng.randint(0, 9), rng.randint(200, 300)]))
                 for _ in range(rng.choice([4, 4, 4, 4, 3, 5]))]
        if rng.random() < 0.1:
            i = rng.randrange(len(parts))
            parts[i] = '0' + parts[i]
        if rng.random() < 0.05:
            parts[rng.randrange(len(parts))] = ''
        out.append('.'.join(parts))
    return out


def expect_ipv4(v):
    try:
        ipaddress.IPv4Address(v)
        return 'pass', None
    except ValueError:
        return 'fail', None


def gen_ipv6(rng, n):
    out = []
    for _ in range(n):
        groups = ['%x' % rng.choice([0, 0, rng.randrange(0x10000), rng.randrange(16)])
                  for _ in range(8)]
        if rng.random() < 0.2:
            groups[rng.randrange(8)] = '%x' % rng.randrange(0x10000, 0x100000)
        if rng.random() < 0.2:
            groups = groups[:6] + ['%d.%d.%d.%d' % tuple(rng.randrange(256) for _ in range(4))]
        v = ':'.join(groups)
        r = rng.random()
        if r < 0.5:
            # Compress a random run (sometimes a wrong one) to "::".
            i = rng.randrange(len(groups))
            j = rng.randrange(i, len(groups) + 1)
            v = ':'.join(groups[:i]) + '::' + ':'.join(groups[j:])
        elif r < 0.6:
            v = ':'.join(groups[:rng.randrange(1, len(groups))])
        if rng.random() < 0.1:
            v = v.upper()
        if rng.random() < 0.02:
            v = rng.choice(['::', '::1', '0::0', '0:0:0:0:0:0:0:1', '::0.0.0.1', '1::'])
        out.append(v)
    return out


def expect_ipv6(v):
    if len(v) > 45:
        return 'fail', None
    try:
        a = ipaddress.IPv6Address(v)
    except ValueError:
        return 'fail', None
    if '%' in v:           # scope ids are not part of the address syntax
        return 'fail', None
    if a.is_unspecified or a.is_loopback:
        return 'fail', 'ipv6-not-personal'
    return 'pass', None


# ---------------------------------------------------------------- driver

def digits_only(v):
    return re.sub(r'\D', '', v)


KINDS = [
    # (validator, generator, expect, normal form of a passing value)
    ('cn_resident_id', gen_ric, expect_ric, norm_ric),
    ('cn_uscc', gen_uscc, expect_uscc, uscc.compact),
    ('imei', gen_imei, expect_imei, digits_only),
    ('bank_card', gen_card, expect_card, digits_only),
    ('cn_mobile', gen_mobile, expect_mobile, mobile_national),
    ('cn_landline', gen_landline, expect_landline, norm_landline),
    ('iban', gen_iban, expect_iban, iban.compact),
    ('ipv4', gen_ipv4, expect_ipv4, lambda v: v),
    ('ipv6', gen_ipv6, expect_ipv6, lambda v: v.lower()),
]


def check_area_table(cli):
    """Probe every 2- and 3-digit area code against phonenumbers."""
    codes = ['10'] + ['2%d' % i for i in range(10)] + [str(c) for c in range(300, 1000)]
    values = []
    for code in codes:
        values += ['0%s-%s' % (code, PROBES[7][0]), '0%s-%s' % (code, PROBES[8][0])]
    res = run_cli(cli, 'cn_landline', values)
    ours = {code for i, code in enumerate(codes)
            if res[2 * i][0] == 'pass' or res[2 * i + 1][0] == 'pass'}
    theirs = set(AREA_CODES)
    only_ours = sorted(ours - theirs)
    only_theirs = sorted(theirs - ours)
    print('area codes: piiscan %d, phonenumbers %d, in both %d' % (
        len(ours), len(theirs), len(ours & theirs)))
    bad = 0
    for code in only_theirs:
        if code == '807':
            print('  0%s only in phonenumbers: %s' % (code, DIFFERENCES['landline-0807']))
        else:
            print('  0%s only in phonenumbers: DISAGREEMENT' % code)
            bad += 1
    for code in only_ours:
        print('  0%s only in piiscan: DISAGREEMENT' % code)
        bad += 1
    return bad


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit('usage: test_oracle.py VALIDATE_CLI [COUNT]')
    cli = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_COUNT
    rng = random.Random(SEED)
    print('stdnum %s, phonenumbers %s, seed %d, %d per kind' % (
        __import__('stdnum').__version__, phonenumbers.__version__, SEED, count))

    AREA_CODES.update(area_codes())
    failures = check_area_table(cli)

    for name, gen, expect, norm in KINDS:
        values = gen(rng, count)
        results = run_cli(cli, name, values)
        agree, differ, shown = 0, {}, 0
        bad = 0
        for v, (got, got_norm) in zip(values, results):
            want, key = expect(v)
            if got == want and (got == 'fail' or got_norm == norm(v)):
                if key:
                    differ[key] = differ.get(key, 0) + 1
                else:
                    agree += 1
                continue
            bad += 1
            if shown < SHOW:
                shown += 1
                print('  %s %r: piiscan %s %r, want %s %r%s' % (
                    name, v, got, got_norm, want, norm(v),
                    ' (%s)' % key if key else ''))
        passes = sum(1 for r in results if r[0] == 'pass')
        print('%-15s %6d values (%d pass): %d agree, %d documented differences, '
              '%d disagree' % (name, len(values), passes, agree, sum(differ.values()), bad))
        for key, k in sorted(differ.items()):
            print('    %6d %s: %s' % (k, key, DIFFERENCES[key]))
        failures += bad

    if failures:
        print('FAIL: %d disagreements' % failures)
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
