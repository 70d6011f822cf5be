#!/usr/bin/python3
"""Seeded generator of labelled exports for piiscan's end-to-end accuracy tests.

    gen_exports.py OUTDIR [--records N] [--seed S] [--formats csv,jsonl,log,lz4]
                          [--self-check]
    gen_exports.py --emit RULE [--seed S]      # print one valid value (mobiles plain)

Writes into OUTDIR:
  export.csv         header + N data rows (RFC 4180: quoted commas, doubled
                     quotes, line breaks inside quotes), LF line ends
  export.jsonl       N nested JSON objects, one a line (some values written
                     with \\uXXXX escapes, some mobiles as JSON numbers)
  export.log         N free-text log lines, PII in about one line in five
  export.csv.lz4     export.csv in the LZ4 frame format (lz4 -q -z: 4 MB blocks)
  export2.jsonl.lz4  another JSON Lines export (seed S+1, N/4 records) in LZ4
                     frames of 64 KB linked blocks (lz4 -q -z -B4 -BD)
  labels.jsonl       one line per planted value that must be reported at the
                     default threshold 'likely':
                     {"file", "record", "field", "rule", "offset", "length",
                      "value", "form"}; offset/length are bytes in the
                     (decompressed) file, JSON escapes included; value is the
                     logical value (escapes decoded); form says how it is
                     written (plain, plus86_space, escaped_full, csv_quoted, ...)
  silent.jsonl       look-alikes that must NOT be reported at 'likely':
                     {"file", "record", "field", "kind", "offset", "length",
                      "value"} (check-digit / date / prefix failures, weak
                     formats without any context)
  meta.json          per file: format, compression, records, and for the CSV
                     the number of non-empty values per column and the
                     classification each column must get in the manifest

Besides the twelve rules of the spec, two field-scoped kinds are planted
because piiscan reports them: Chinese names (common surname + one or two
given characters) in fields called name (rule cn_name; pinyin names are
left unlabelled and must stay silent), and six-digit postal codes in the
CSV column postal_code (rule cn_postal_code); six-digit numbers anywhere
else (JSON store_code, log lines, SKUs) must stay silent.

Every planted value is checked against independent oracles (python-stdnum:
cn.ric, cn.uscc, luhn, imei; phonenumbers: valid MOBILE / FIXED_LINE) and
every look-alike against a deliberately loose version of each rule (so that
it cannot be valid under any reasonable reading); failures are redrawn.
Weak formats (passport, IMEI) are planted only with context: a field named
for them or a hotword right before them. Filler never holds a run of 7 or
more digits, digit groups shaped like phones or cards, '@', dotted quads,
uppercase letter+digits codes, or province+letter pairs; --self-check
verifies that over the finished files (and every label against the bytes,
the csv module and the json module).

Version strings are always 3-part (1.2.3): a 4-part version is an IPv4
address as far as syntax goes, and no scanner can tell them apart without
context, so the generator does not plant them at all.

Planted values never leave the temporary directory the tests run in.
"""

import argparse
import datetime
import gc
import ipaddress
import json
import os
import random
import re
import subprocess
import sys

import phonenumbers
from stdnum import imei as std_imei
from stdnum import luhn as std_luhn
from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

# ---------------------------------------------------------------- oracles

_PN = phonenumbers.PhoneNumberType
_LOC_DAT = os.path.join(os.path.dirname(std_ric.__file__), 'loc.dat')
PROVINCES = set('11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 '
                '46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91'.split())


def _load_regions():
    """A fixed sample of county codes from stdnum's own region table (every
    province represented): looking a region up in stdnum costs milliseconds,
    so the generator keeps to a few hundred of them."""
    codes = []
    with open(_LOC_DAT, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'(\d{6}) ', line)
            if m and m.group(1)[:2] in PROVINCES and not m.group(1).endswith('00'):
                codes.append(m.group(1))
    return codes[::12]


REGIONS = _load_regions()


# stdnum looks the region up in its numdb on every call (milliseconds); the
# answer depends on the first six digits only, so remember it.
_birth_place = std_ric.get_birth_place
_birth_place_cache = {}


def _cached_birth_place(number):
    key = std_ric.compact(number)[:6]
    if key not in _birth_place_cache:
        try:
            _birth_place_cache[key] = _birth_place(number)
        except Exception as e:  # InvalidComponent: remember the failure too
            _birth_place_cache[key] = e
    r = _birth_place_cache[key]
    if isinstance(r, Exception):
        raise r
    return r


std_ric.get_birth_place = _cached_birth_place


def _date_ok(y, m, d):
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


def pn_type(national):
    """phonenumbers' type of a CN national number (digits, no trunk 0)."""
    n = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.number_type(n)


def ok_mobile(digits):
    return len(digits) == 11 and pn_type(digits) in (_PN.MOBILE, _PN.FIXED_LINE_OR_MOBILE)


def ok_landline(national):
    return pn_type(national) in (_PN.FIXED_LINE, _PN.FIXED_LINE_OR_MOBILE)


def ok_ric(s):
    if len(s) == 15:  # legacy form: as issued, the 18-digit form with 19 inserted
        if not s.isdigit():
            return False
        body = s[:6] + '19' + s[6:]
        s = body + std_ric.calc_check_digit(body + '0')
    return std_ric.is_valid(s)


def ok_card(digits):
    if not (digits.isdigit() and 16 <= len(digits) <= 19 and std_luhn.is_valid(digits)):
        return False
    if digits.startswith('62'):
        return True
    if digits.startswith('4'):
        return len(digits) in (16, 19)
    p2, p4 = int(digits[:2]), int(digits[:4])
    return len(digits) == 16 and (51 <= p2 <= 55 or 2221 <= p4 <= 2720)


def ok_imei(s):
    return len(s) == 15 and std_imei.is_valid(s)


RE_EMAIL = re.compile(r'^[a-z0-9](?:[a-z0-9._+-]{0,30}[a-z0-9])?@(?:[a-z0-9-]+\.)+[a-z]{2,6}$', re.I)
RE_PASSPORT = re.compile(r'^(?:E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8})$')
PLATE_PROV = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼'
PLATE_ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'
RE_PLATE = re.compile('^[%s][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\\d{4}|\\d{5}[DF])$' % PLATE_PROV)
RE_AWS = re.compile(r'^AKIA[A-Z2-7]{16}$')
RE_POSTAL = re.compile(r'^[1-8]\d{5}$')


def ok_ipv4(s):
    try:
        a = ipaddress.IPv4Address(s)
    except ValueError:
        return False
    return str(a) == s and not a.is_loopback and not a.is_multicast and not a.is_unspecified


def ok_ipv6(s):
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return '.' not in s


def strict_ok(rule, value):
    """Whether value (as written) is valid for rule per the oracles."""
    if rule == 'cn_mobile':
        d = re.sub(r'[ -]', '', value)
        d = d[3:] if d.startswith('+86') else d[4:] if d.startswith('0086') else d
        return d.isdigit() and ok_mobile(d)
    if rule == 'cn_landline':
        d = re.sub(r'[ ()-]', '', value)
        return d.startswith('0') and d.isdigit() and ok_landline(d[1:])
    if rule == 'cn_resident_id':
        return ok_ric(value.upper())
    if rule == 'bank_card':
        return ok_card(value.replace(' ', ''))
    if rule == 'imei':
        return ok_imei(value)
    if rule == 'cn_uscc':
        return std_uscc.is_valid(value)
    if rule == 'email':
        return bool(RE_EMAIL.match(value))
    if rule == 'ipv4':
        return ok_ipv4(value)
    if rule == 'ipv6':
        return ok_ipv6(value)
    if rule == 'cn_passport':
        return bool(RE_PASSPORT.match(value))
    if rule == 'cn_plate':
        return bool(RE_PLATE.match(value))
    if rule == 'cn_name':
        return len(value) in (2, 3) and value[0] in SURNAMES and all(c in GIVEN for c in value[1:])
    if rule == 'cn_postal_code':
        return bool(RE_POSTAL.match(value))
    if rule == 'aws_access_key':
        return bool(RE_AWS.match(value))
    raise KeyError(rule)


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_ok(s):
    """The Luhn check (same answer as stdnum.luhn.is_valid on digit strings,
    which --self-check confirms on every value), fast enough for the loops."""
    return (sum(map(int, s[-1::-2])) + sum(_DOUBLED[int(c)] for c in s[-2::-2])) % 10 == 0


def luhn_ok_std(s):
    return std_luhn.is_valid(s)


def uscc_digits_ok(s):
    return std_uscc.calc_check_digit(s) == s[17]


def loose_ric18(s):
    """An 18-character id under the loosest reading: check digit and date."""
    s = s.upper()
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in '0123456789X':
        return False
    return std_ric.calc_check_digit(s) == s[17] and _date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def loose_ric15(s):
    return (len(s) == 15 and s.isdigit() and s[:2] in PROVINCES
            and _date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])))


def digit_hazards(s, luhn=luhn_ok, uscc=uscc_digits_ok):
    """The rules a standalone run of digits could plausibly be taken for."""
    n, out = len(s), set()
    if n == 11 and s[0] == '1' and s[1] in '3456789':
        out.add('mobile')
    if 13 <= n <= 19 and luhn(s):
        out.add('luhn')
    if n == 15 and loose_ric15(s):
        out.add('ric15')
    if n == 18 and loose_ric18(s):
        out.add('ric18')
    if n == 18 and uscc(s):
        out.add('uscc')
    if 10 <= n <= 12 and s[0] == '0':
        out.add('landline')
    return out


# Shapes that must never occur in filler (checked over whole files, with the
# planted and look-alike spans blanked out).
HAZARDS = [
    ('digit run >= 7', re.compile(rb'\d{7,}')),
    ('grouped digits', re.compile(rb'(?<!\d)\d{2,4}(?:[ -]\d{4}){2,}')),
    ('landline shape', re.compile(rb'\(?0\d{2,3}\)?[ -]?\d{3,4}[ -]?\d{4}')),
    ('email', re.compile(rb'@')),
    ('dotted quad', re.compile(rb'\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}')),
    ('ipv6 shape', re.compile(rb'[0-9A-Fa-f]{0,4}::[0-9A-Fa-f]|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){4,}')),
    ('letter+digits code', re.compile(rb'[A-Z]{1,2}\d{6,}')),
    ('key prefix', re.compile(rb'AKIA|ASIA|LTAI|AKID|eyJ')),
    ('plate shape', re.compile(('[%s][A-Z]' % PLATE_PROV).encode())),
    ('coordinates', re.compile(rb'\d\.\d{4}')),
]

# ---------------------------------------------------------------- values

MOBILE_PREFIXES = ('130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 '
                   '157 158 159 166 173 175 176 177 178 180 181 182 183 184 185 186 187 '
                   '188 189 198 199').split()
AREA2 = '10 20 21 22 23 24 25 27 28 29'.split()
AREA3 = ('311 351 371 431 451 512 531 532 551 571 574 591 731 755 769 771 851 871 '
         '898 931 991 411 471 577 592 760 816 898').split()
UNIONPAY_BINS = '622202 622848 621700 622588 621226 622700 623058 622262 621483 625807 621661 620200'.split()
VISA_BINS = '427020 438088 400360 456351 476173 410062'.split()
MC_BINS = '510011 524374 535918 541234 552266 222100 230045 251234 271000 222560'.split()
IMEI_TACS = '86012345 86534803 86891204 35328109 35875306 01332700 86691904 35209900'.split()
SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁'
GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红文辉建国晓'
PINYIN_SUR = 'Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo'.split()
PINYIN_GIVEN = 'Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Juan Tao Ming Chao Xia Ping Gang'.split()
EMAIL_DOMAINS = 'qq.com 163.com 126.com gmail.com sina.com outlook.com foxmail.com corp.example.cn mail.example.com.cn'.split()
USCC_DEPT = ['91', '91', '91', '92', '12', '11', '51', '52']
USCC_ORG_ALPHA = '0123456789ABCDEFGHJKLMNPQRTUWXY'
B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
NOISE = ['请尽快发货', '客户要求开具发票', '周末不方便收货', '已回访，满意', '包装需加固',
         '优先处理', '退货已入库', 'please deliver before noon', 'gift wrap requested',
         'customer asked for an invoice', '按约定时间配送', '商品缺货，已通知', '备注无',
         '送货上门', 'left at the front desk', '已取消', 'refund approved', '再次购买老客户',
         '发货前确认颜色', 'second order this week']
NOISE_QUOTED = ['客户说"尽快发货"', 'label says "fragile"', '备注: "无"']
NOISE_COMMA = ['已核实, 无异常', 'red, size L', '周一, 周三可收货']
NOISE_MULTILINE = ['第一行备注\n第二行备注', 'line one\nline two']


def luhn_check_digit(body):
    return str((10 - (sum(_DOUBLED[int(c)] for c in body[-1::-2]) + sum(map(int, body[-2::-2])))) % 10)


def luhn_complete(r, prefix, length):
    n = length - len(prefix) - 1
    body = prefix + '%0*d' % (n, r.randrange(10 ** n))
    return body + luhn_check_digit(body)


def luhn_break(s):
    """s with its last digit changed so that the Luhn check fails."""
    good = luhn_check_digit(s[:-1])
    bad = str((int(good) + 1 + int(s[-2]) % 8) % 10)
    return s[:-1] + bad


class Values:
    """Draws valid values and look-alikes; everything redrawn until the oracles agree."""

    def __init__(self, r):
        self.r = r

    def digits(self, n):
        return '%0*d' % (n, int(self.r.random() * 10 ** n) if n <= 12 else self.r.randrange(10 ** n))

    def mobile_digits(self):
        while True:
            d = self.r.choice(MOBILE_PREFIXES) + self.digits(8)
            if ok_mobile(d):
                return d

    def mobile(self, form=None, digits=None):
        """(written form, form name); digits: write this number (in form)."""
        r = self.r
        if form is None:
            form = r.choices(['plain', 'plus86_space', 'plus86', '0086', '0086_space', 'dash344', 'space344',
                              'plus86_space344'],
                             [50, 10, 10, 5, 3, 10, 9, 3])[0]
        while True:
            d = digits or self.mobile_digits()
            if digits and form == '0086' and digit_hazards('0086' + d):
                form = '0086_space'
            if form == 'plain':
                v = d
            elif form == 'plus86_space':
                v = '+86 ' + d
            elif form == 'plus86':
                v = '+86' + d
            elif form == '0086':
                v = '0086' + d
                if digit_hazards(v):  # 15 digits: must not pass as an IMEI or legacy id
                    continue
            elif form == '0086_space':
                v = '0086 ' + d
            elif form == 'dash344':
                v = '%s-%s-%s' % (d[:3], d[3:7], d[7:])
            elif form == 'space344':
                v = '%s %s %s' % (d[:3], d[3:7], d[7:])
            else:
                v = '+86 %s %s %s' % (d[:3], d[3:7], d[7:])
            return v, form

    def landline(self):
        r = self.r
        form = r.choices(['dash', 'space', 'paren'], [85, 10, 5])[0]
        while True:
            if r.random() < 0.4:
                area, sub = r.choice(AREA2), r.choice('2345678') + self.digits(7)
            else:
                area = r.choice(AREA3)
                sub = r.choice('2345678') + self.digits(r.choice((6, 7)))
            if not ok_landline(area + sub):
                continue
            if form == 'dash':
                v = '0%s-%s' % (area, sub)
            elif form == 'space':
                v = '0%s %s' % (area, sub)
            else:
                v = '(0%s)%s' % (area, sub)
            return v, form

    def birth(self, lo=1940, hi=2012):
        while True:
            y, m, d = self.r.randrange(lo, hi + 1), self.r.randrange(1, 13), self.r.randrange(1, 32)
            if _date_ok(y, m, d):
                return '%04d%02d%02d' % (y, m, d)

    def ric(self):
        r = self.r
        if r.random() < 0.1:  # legacy 15-digit form
            while True:
                v = r.choice(REGIONS) + self.birth(1940, 1999)[2:] + self.digits(3)
                if digit_hazards(v) == {'ric15'}:
                    return v, 'legacy15'
        want_x = r.random() < 0.12
        while True:
            body = r.choice(REGIONS) + self.birth() + self.digits(3)
            v = body + std_ric.calc_check_digit(body + '0')
            if want_x != v.endswith('X'):
                continue
            if v[-1] != 'X' and luhn_ok(v):
                continue  # would also be a Luhn-valid 18-digit card number
            if v[-1] != 'X' and uscc_digits_ok(v):
                continue
            if want_x and r.random() < 0.5:
                return v[:-1] + 'x', 'lower_x'
            return v, 'upper_x' if want_x else 'plain'

    def card_digits(self):
        r = self.r
        kind = r.choices(['unionpay', 'visa', 'mastercard'], [60, 20, 20])[0]
        while True:
            if kind == 'unionpay':
                d = luhn_complete(r, r.choice(UNIONPAY_BINS), r.choice((16, 16, 17, 18, 19, 19)))
            elif kind == 'visa':
                d = luhn_complete(r, r.choice(VISA_BINS), 16)
            else:
                d = luhn_complete(r, r.choice(MC_BINS), 16)
            if digit_hazards(d) == {'luhn'}:
                return d, kind

    def card(self):
        d, kind = self.card_digits()
        if self.r.random() < 0.2:
            return ' '.join(d[i:i + 4] for i in range(0, len(d), 4)), kind + '_grouped'
        return d, kind

    def imei(self):
        while True:
            v = luhn_complete(self.r, self.r.choice(IMEI_TACS), 15)
            if digit_hazards(v) == {'luhn'}:
                return v, 'plain'

    def uscc(self):
        r = self.r
        while True:
            org = ''.join(r.choice('0123456789') if r.random() < 0.85 else r.choice(USCC_ORG_ALPHA[10:])
                          for _ in range(8))
            w = (3, 7, 9, 10, 5, 8, 4, 2)
            s = sum((int(c) if c.isdigit() else ord(c) - 55) * wi for c, wi in zip(org, w))  # GB 11714
            c9 = 11 - s % 11
            org += 'X' if c9 == 10 else '0' if c9 == 11 else str(c9)
            body = r.choice(USCC_DEPT) + r.choice(REGIONS) + org
            v = body + std_uscc.calc_check_digit(body + '0')
            if not std_uscc.is_valid(v):
                continue
            if v.isdigit() and digit_hazards(v) != {'uscc'}:
                continue
            return v, 'digits' if v.isdigit() else 'alnum'

    def email(self):
        r = self.r
        while True:
            local = r.choice([
                lambda: r.choice(PINYIN_SUR).lower() + '.' + r.choice(PINYIN_GIVEN).lower(),
                lambda: r.choice(PINYIN_GIVEN).lower() + r.choice(PINYIN_SUR).lower() + str(r.randrange(10, 9999)),
                lambda: r.choice(PINYIN_SUR).lower() + '_' + r.choice(PINYIN_GIVEN).lower() + '+shop',
                lambda: str(r.randrange(10000, 999999)),
            ])()
            v = local + '@' + r.choice(EMAIL_DOMAINS)
            form = 'plain'
            if r.random() < 0.05:
                v, form = v.title(), 'mixed_case'
            if strict_ok('email', v):
                return v, form

    def ipv4(self):
        while True:
            a = self.r.randrange(10, 224)
            v = '%d.%d.%d.%d' % (a, self.r.randrange(256), self.r.randrange(256), self.r.randrange(1, 255))
            if a != 127 and ok_ipv4(v):
                return v, 'plain'

    def ipv6(self):
        r = self.r
        while True:
            g = [r.choice((0x2001, 0x240e, 0x2408, 0x2409, 0x2400, 0xfe80))] + [r.randrange(65536) for _ in range(7)]
            if r.random() < 0.5:
                z = r.randrange(1, 7)
                for i in range(z, min(8, z + r.randrange(2, 5))):
                    g[i] = 0
            if g[0] == 0xfe80:
                g[1] = g[2] = g[3] = 0
            a = ipaddress.IPv6Address(':'.join('%x' % x for x in g))
            form = r.choices(['compressed', 'exploded', 'upper'], [75, 15, 10])[0]
            v = a.compressed if form == 'compressed' else a.exploded if form == 'exploded' else a.compressed.upper()
            if len(v) >= 12 and ok_ipv6(v):
                return v, form

    def passport(self):
        r = self.r
        k = r.random()
        if k < 0.6:
            v = 'E' + self.digits(8)
        elif k < 0.85:
            v = 'G' + self.digits(8)
        else:
            v = 'E' + r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') + self.digits(7)
        return v, v[0] if v[1].isdigit() else 'E_letter'

    def plate(self):
        r = self.r
        head = r.choice(PLATE_PROV) + r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')
        k = r.random()
        if k < 0.55:
            tail, form = self.digits(5), 'digits'
        elif k < 0.8:
            t = [r.choice('0123456789') for _ in range(5)]
            t[r.randrange(5)] = r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')
            tail, form = ''.join(t), 'alnum'
        elif k < 0.92:
            tail, form = r.choice('DF') + r.choice(PLATE_ALNUM) + self.digits(4), 'new_energy_small'
        else:
            tail, form = self.digits(5) + r.choice('DF'), 'new_energy_large'
        v = head + tail
        return v, form

    def aws(self):
        v = 'AKIA' + ''.join(self.r.choice(B32) for _ in range(16))
        return v, 'plain'

    def value(self, rule):
        return {
            'cn_mobile': self.mobile, 'cn_landline': self.landline, 'cn_resident_id': self.ric,
            'bank_card': self.card, 'imei': self.imei, 'cn_uscc': self.uscc, 'email': self.email,
            'ipv4': self.ipv4, 'ipv6': self.ipv6, 'cn_passport': self.passport, 'cn_plate': self.plate,
            'aws_access_key': self.aws,
        }[rule]()

    # ---- look-alikes (each returns (value, kind))

    def clean_digits(self, n, lead='123456789'):
        while True:
            v = self.r.choice(lead) + self.digits(n - 1)
            if not digit_hazards(v):
                return v

    def order_no(self):
        r = self.r
        k = r.random()
        while True:
            if k < 0.45:  # a real-looking id with a wrong check digit
                body = r.choice(REGIONS) + self.birth() + self.digits(3)
                good = std_ric.calc_check_digit(body + '0')
                v, kind = body + r.choice([c for c in '0123456789' if c != good]), 'ric_bad_check'
            elif k < 0.75:  # right check digit, impossible date
                y = r.randrange(1950, 2010)
                md = r.choice(['13%02d' % r.randrange(1, 29), '0230', '0231', '0431', '0631', '0931',
                               '1131', '%02d32' % r.randrange(1, 13), '%02d00' % r.randrange(1, 13),
                               '00%02d' % r.randrange(1, 29)])
                body = r.choice(REGIONS) + '%04d' % y + md + self.digits(3)
                v, kind = body + std_ric.calc_check_digit(body + '0'), 'ric_bad_date'
                if v.endswith('X'):
                    continue
            else:  # a business order id: yyyymmddHHMMSS + 4
                v, kind = '2024%02d%02d%02d%02d%02d' % (r.randrange(1, 13), r.randrange(1, 29), r.randrange(24),
                                                       r.randrange(60), r.randrange(60)) + self.digits(4), 'order_id'
            if not digit_hazards(v):
                return v, kind

    def created_ms(self):
        while True:
            v = str(self.r.randrange(1600000000000, 1735000000000))
            if not digit_hazards(v):
                return v, 'ms_timestamp'

    def snowflake(self):
        while True:
            v = str(self.r.randrange(1 << 60, 1 << 63))  # 19 digits, leading 1-9
            if self.r.random() < 0.3:
                v = v[:18]
            if not digit_hazards(v):
                return v, 'snowflake'

    def customer_no(self):
        r = self.r
        k = r.random()
        if k < 0.1:  # 11 digits that no mobile range starts with
            while True:
                v = r.choice(('10', '11', '12')) + self.digits(9)
                if not digit_hazards(v):
                    return v, 'mobile_bad_prefix'
        return self.clean_digits(r.choice((10, 12)), '23456789'), 'customer_no'

    def ref_no(self):
        """Mostly a clean 15-digit reference; sometimes a weak look-alike."""
        r = self.r
        k = r.random()
        if k < 0.06:  # a Luhn-valid 15-digit number: an IMEI by shape, no context
            while True:
                v = luhn_complete(r, r.choice(IMEI_TACS), 15)
                if digit_hazards(v) == {'luhn'}:
                    return v, 'imei_no_context'
        if k < 0.10:  # UnionPay-shaped, fails Luhn: at most 'possible'
            while True:
                v = luhn_break(luhn_complete(r, r.choice(UNIONPAY_BINS), r.choice((16, 17, 19))))
                if not digit_hazards(v):
                    return v, 'unionpay_no_luhn'
        if k < 0.13:  # Visa-shaped, fails Luhn: no card at all
            while True:
                v = luhn_break(luhn_complete(r, r.choice(VISA_BINS), 16))
                if not digit_hazards(v):
                    return v, 'card_bad_luhn'
        return self.clean_digits(15), 'ref15'

    def doc_code(self):
        r = self.r
        if r.random() < 0.06:
            v = r.choice('EG') + self.digits(8)
            return v, 'passport_no_context'
        return 'DOC-' + self.short_digits(6), 'doc_code'

    def short_digits(self, n):
        return '%d' % self.r.randrange(10 ** (n - 1), 10 ** n)

    def hexstr(self, nbytes):
        while True:
            v = '%0*x' % (nbytes * 2, self.r.getrandbits(nbytes * 8))
            if not re.search(r'\d{7}|\d{4}-', v) and not re.search(r'\d{3,4}(?:[ -]?\d{4}){2}', v):
                return v

    def uuid(self):
        while True:
            h = self.hexstr(16)
            v = '%s-%s-4%s-a%s-%s' % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])
            if not re.search(r'\d{4}-\d{4}', v):
                return v

    def version(self):
        return '%d.%d.%d' % (self.r.randrange(0, 12), self.r.randrange(0, 30), self.r.randrange(0, 100))

    def amount(self):
        return '%d.%02d' % (self.r.randrange(1, 99999), self.r.randrange(100))

    def postal(self):
        return '%06d' % (self.r.randrange(10, 86) * 10000 + self.r.randrange(100) * 100)

    def name(self):
        r = self.r
        if r.random() < 0.6:
            return r.choice(SURNAMES) + ''.join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))
        if r.random() < 0.1:
            return '%s, %s' % (r.choice(PINYIN_SUR), r.choice(PINYIN_GIVEN))
        return '%s %s' % (r.choice(PINYIN_GIVEN), r.choice(PINYIN_SUR))

    def name_pieces(self):
        """A name as field pieces: Chinese names (surname + one or two given
        characters, in a field called name) are personal data that piiscan's
        cn_name rule reports; pinyin names are not (they are left alone)."""
        v = self.name()
        return [Plant('cn_name', v, 'field')] if ord(v[0]) > 0x2e80 else [v]

    def noise(self, allow_special=True):
        r = self.r
        k = r.random()
        if allow_special and k < 0.04:
            return r.choice(NOISE_QUOTED)
        if allow_special and k < 0.08:
            return r.choice(NOISE_COMMA)
        if allow_special and k < 0.10:
            return r.choice(NOISE_MULTILINE)
        return r.choice(NOISE)


# Context templates: (prefix, suffix) around a planted value in free text.
# Weak formats (passport, imei) always come with a hotword right before them.
TEXT_CTX = {
    'cn_mobile': [('客户手机 ', ' 已核实'), ('联系电话：', ''), ('回拨 ', ' 未接通'), ('手机号', '，请回电'),
                  ('sms sent to ', ' tpl=SMS_reminder'), ('callback ', ' ok')],
    'cn_resident_id': [('身份证号 ', ' 已登记'), ('实名认证 身份证 ', ' 通过'), ('kyc idno=', ' result=pass'),
                       ('verify ', ' ok')],
    'email': [('发票发送至 ', ''), ('mail queued to ', ' ok'), ('邮箱：', '，请查收')],
    'bank_card': [('退款至卡号 ', ''), ('bind card ', ' for user'), ('支付卡号 ', ' 扣款成功')],
    'cn_landline': [('座机 ', ' 无人接听'), ('tel=', ' ext none'), ('办公电话：', '')],
    'ipv4': [('login ok ip=', ' cost=fast'), ('from ', ' blocked'), ('来源 ', ' 访问')],
    'ipv6': [('peer ', ' connected'), ('client_ip6=', ' ok')],
    'cn_uscc': [('统一社会信用代码 ', ' 校验通过'), ('company uscc=', ' ok')],
    'cn_passport': [('护照号码 ', ' 待复核'), ('passport=', ' checked'), ('护照 ', ' 入境核验')],
    'cn_plate': [('车牌 ', ' 入场'), ('plate=', ' exit'), ('车牌号', '，临时停车')],
    'imei': [('设备 IMEI ', ' 已绑定'), ('device imei=', ' registered'), ('手机串号 ', ' 已登记')],
    'aws_access_key': [('aws key ', ' rotated'), ('access_key_id=', ' revoked')],
}


# ---------------------------------------------------------------- writers

class Plant:
    __slots__ = ('rule', 'value', 'form', 'raw')

    def __init__(self, rule, value, form, raw=None):
        self.rule, self.value, self.form = rule, value, form
        self.raw = value if raw is None else raw


class Silent:
    __slots__ = ('kind', 'value', 'report')

    def __init__(self, kind, value, report=True):
        self.kind, self.value, self.report = kind, value, report


class Out:
    """One output file being built: bytes, labels, look-alike spans."""

    def __init__(self, name):
        self.name = name
        self.parts = []
        self.pos = 0
        self.labels = []
        self.silent = []
        self.noise_spans = []  # every look-alike span, reported or not (self-check)
        self.record = 0
        self.field_counts = {}

    def raw(self, s):
        self.parts.append(s)
        self.pos += len(s) if s.isascii() else len(s.encode('utf-8'))

    def piece(self, field, p, esc=None):
        """Append a piece (str, Plant or Silent), escaping filler with esc."""
        if isinstance(p, str):
            self.raw(esc(p) if esc else p)
            return
        raw = p.raw if isinstance(p, Plant) else p.value
        if esc and (isinstance(p, Silent) or p.raw is p.value):
            raw = esc(raw)
            if isinstance(p, Plant) and raw != p.value:
                p.form += '_escaped'  # a plate's province in an ASCII-only JSON line
        start = self.pos
        self.raw(raw)
        n = self.pos - start
        if isinstance(p, Plant):
            self.labels.append({'file': self.name, 'record': self.record, 'field': field, 'rule': p.rule,
                                'offset': start, 'length': n, 'value': p.value, 'form': p.form})
        else:
            self.noise_spans.append((start, n, p.kind))
            if p.report:
                self.silent.append({'file': self.name, 'record': self.record, 'field': field, 'kind': p.kind,
                                    'offset': start, 'length': n, 'value': p.value})

    def data(self):
        return ''.join(self.parts).encode('utf-8')


CSV_COLUMNS = ['id', 'name', 'phone', 'id_card', 'email', 'bank_card', 'landline', 'ip', 'ipv6', 'uscc',
               'passport', 'plate', 'imei', 'aws_key', 'order_no', 'created_ms', 'snowflake_id', 'sku',
               'customer_no', 'ref_no', 'doc_code', 'md5', 'sha1', 'uuid', 'version', 'amount',
               'postal_code', 'remark']
CSV_PII = {'phone': ('cn_mobile', 0.95), 'id_card': ('cn_resident_id', 0.90), 'email': ('email', 0.80),
           'bank_card': ('bank_card', 0.70), 'landline': ('cn_landline', 0.40), 'ip': ('ipv4', 0.80),
           'ipv6': ('ipv6', 0.25), 'uscc': ('cn_uscc', 0.30), 'passport': ('cn_passport', 0.25),
           'plate': ('cn_plate', 0.30), 'imei': ('imei', 0.35), 'aws_key': ('aws_access_key', 0.02)}
CSV_NULL_COLUMNS = ['id', 'order_no', 'created_ms', 'snowflake_id', 'sku', 'customer_no', 'ref_no',
                    'doc_code', 'md5', 'sha1', 'uuid', 'version', 'amount']
REMARK_RULES = ['cn_mobile', 'cn_mobile', 'cn_resident_id', 'email', 'bank_card', 'cn_passport', 'imei',
                'cn_landline']


def csv_quote(s):
    return s.replace('"', '""')


def gen_csv(name, n, r):
    V = Values(r)
    out = Out(name)
    out.raw(','.join(CSV_COLUMNS) + '\n')
    counts = {c: 0 for c in CSV_COLUMNS}
    for rec in range(1, n + 1):
        out.record = rec
        row = {'id': [str(rec)], 'name': V.name_pieces()}
        for col, (rule, p) in CSV_PII.items():
            if r.random() < p:
                v, form = V.value(rule)
                row[col] = [Plant(rule, v, form)]
        la = {}
        la['order_no'] = V.order_no()
        la['created_ms'] = V.created_ms()
        la['snowflake_id'] = V.snowflake()
        la['customer_no'] = V.customer_no()
        la['ref_no'] = V.ref_no()
        la['doc_code'] = V.doc_code()
        weak_lookalike = (la['ref_no'][1] in ('imei_no_context', 'unionpay_no_luhn')
                          or la['doc_code'][1] == 'passport_no_context')
        for col, (v, kind) in la.items():
            if kind in ('doc_code',):
                row[col] = [v]
            else:
                row[col] = [Silent(kind, v, report=kind not in ('snowflake', 'ms_timestamp', 'customer_no',
                                                                 'ref15'))]
        row['sku'] = ['SKU-' + V.short_digits(6)]
        row['md5'] = [V.hexstr(16)]
        row['sha1'] = [V.hexstr(20)]
        row['uuid'] = [V.uuid()]
        row['version'] = [V.version()]
        row['amount'] = [V.amount()]
        row['postal_code'] = [Plant('cn_postal_code', V.postal(), 'field')]
        # remark: mostly noise; sometimes a sentence with a value (never in a
        # row that also holds a weak look-alike: no hotword may sit near one)
        k = r.random()
        if k < 0.12 and not weak_lookalike:
            rule = r.choice(REMARK_RULES)
            v, form = V.value(rule)
            phone = row.get('phone')
            if rule == 'cn_mobile' and phone and r.random() < 0.4:
                # the row's own phone number again, written another way: its
                # fingerprint must be the same (normalised value)
                d = re.sub(r'\D', '', phone[0].value)
                d = d[-11:]
                v, form = V.mobile(r.choice(['plain', 'plus86_space', 'dash344', 'space344', '0086']), d)
            pre, suf = r.choice(TEXT_CTX[rule])
            shape = r.random()
            if shape < 0.15:
                row['remark'] = [V.noise(False) + '\n' + pre, Plant(rule, v, 'remark_multiline'), suf]
            elif shape < 0.25:
                row['remark'] = [r.choice(NOISE_QUOTED) + '，' + pre, Plant(rule, v, 'remark_quoted'), suf]
            elif shape < 0.35:
                row['remark'] = ['已核实, ' + pre, Plant(rule, v, 'remark_comma'), suf]
            else:
                row['remark'] = [pre, Plant(rule, v, 'remark'), suf]
        elif k < 0.5:
            row['remark'] = [V.noise(not weak_lookalike)]
        # write the row
        first = True
        for col in CSV_COLUMNS:
            if not first:
                out.raw(',')
            first = False
            pieces = row.get(col)
            if not pieces:
                continue
            counts[col] += 1
            text = ''.join(p if isinstance(p, str) else (p.raw if isinstance(p, Plant) else p.value)
                           for p in pieces)
            quoted = any(c in text for c in ',"\n\r') or (
                col == 'phone' and r.random() < 0.04)
            if quoted:
                out.raw('"')
                for p in pieces:
                    if isinstance(p, Plant) and col == 'phone' and len(pieces) == 1:
                        p.form = 'csv_quoted'
                    out.piece(col, p, csv_quote)
                out.raw('"')
            else:
                for p in pieces:
                    out.piece(col, p)
        out.raw('\n')
    classification = {c: rule for c, (rule, _) in CSV_PII.items()}
    classification['postal_code'] = 'cn_postal_code'
    classification.update({c: None for c in CSV_NULL_COLUMNS})
    meta = {'format': 'csv', 'compression': 'none', 'records': n, 'fields': counts,
            'classification': classification}
    return out, meta


# ---- JSON Lines

def json_escape(s, ascii_only=False):
    return json.dumps(s, ensure_ascii=ascii_only)[1:-1]


def u_escape(s, first_only=False):
    if first_only:
        return '\\u%04x' % ord(s[0]) + s[1:]
    return ''.join('\\u%04x' % ord(c) for c in s)


class JRaw(str):
    """JSON text already serialised (subtrees without planted values)."""


def jraw(obj, ascii_only):
    return JRaw(json.dumps(obj, ensure_ascii=ascii_only, separators=(',', ':')))


class JNum:
    """A JSON number written raw (possibly a planted value)."""
    __slots__ = ('p',)

    def __init__(self, p):
        self.p = p


def jemit(out, obj, path, ascii_only):
    """Serialise obj into out; leaves are str, list of pieces, JNum, numbers."""
    esc = (lambda s: json_escape(s, True)) if ascii_only else json_escape
    if isinstance(obj, JRaw):
        out.raw(obj)
    elif isinstance(obj, dict):
        out.raw('{')
        first = True
        for k, v in obj.items():
            if v is None:
                continue
            if not first:
                out.raw(',')
            first = False
            out.raw('"' + esc(k) + '":')
            jemit(out, v, path + '.' + k if path else k, ascii_only)
        out.raw('}')
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict):
        out.raw('[')
        for i, v in enumerate(obj):
            if i:
                out.raw(',')
            jemit(out, v, path, ascii_only)
        out.raw(']')
    elif isinstance(obj, list):  # a string made of pieces
        out.raw('"')
        for p in obj:
            out.piece(path, p, esc)
        out.raw('"')
    elif isinstance(obj, JNum):
        out.piece(path, obj.p)
    elif isinstance(obj, str):
        out.raw('"' + esc(obj) + '"')
    elif isinstance(obj, bool):
        out.raw('true' if obj else 'false')
    else:
        out.raw(repr(obj) if isinstance(obj, float) else str(obj))


def jplant(r, V, rule, allow_escape=True):
    """A planted JSON string value: pieces list (possibly \\u-escaped)."""
    v, form = V.value(rule)
    if allow_escape and rule in ('cn_mobile', 'cn_resident_id', 'email'):
        k = r.random()
        if k < 0.03:
            return [Plant(rule, v, 'escaped_full', u_escape(v))]
        if k < 0.05 and rule != 'email':
            return [Plant(rule, v, 'escaped_partial', u_escape(v, True))]
        if k < 0.06 and rule == 'email':
            return [Plant(rule, v, 'escaped_at', v.replace('@', '\\u0040'))]
    return [Plant(rule, v, form)]


def gen_jsonl(name, n, r):
    V = Values(r)
    out = Out(name)
    for rec in range(1, n + 1):
        out.record = rec
        ascii_only = r.random() < 0.1  # this line's non-ASCII all written as \uXXXX
        order = V.order_no()
        ref = V.ref_no()
        doc = V.doc_code()
        weak_lookalike = ref[1] in ('imei_no_context', 'unionpay_no_luhn') or doc[1] == 'passport_no_context'
        o = {'order_id': [Silent(order[1], order[0])],
             'ref_no': [Silent(ref[1], ref[0], report=ref[1] != 'ref15')],
             'doc_code': [Silent(doc[1], doc[0])] if doc[1] != 'doc_code' else doc[0],
             'status': r.choice(['paid', 'shipped', 'closed', 'refunded']),
             'channel': r.choice(['app', 'web', 'mini_program']),
             'trace_id': V.uuid(),
             'store_code': V.postal(),  # six digits in a field that does not say postcode: silent
             'created_at': '2024-%02d-%02dT%02d:%02d:%02d+08:00' % (r.randrange(1, 13), r.randrange(1, 29),
                                                                   r.randrange(24), r.randrange(60),
                                                                   r.randrange(60)),
             'created_ms': JNum(Silent('ms_timestamp', V.created_ms()[0], report=False))}
        buyer = {'name': V.name_pieces()}
        if r.random() < 0.95:
            if r.random() < 0.05:
                v = V.mobile_digits()
                buyer['mobile'] = JNum(Plant('cn_mobile', v, 'json_number'))
            else:
                buyer['mobile'] = jplant(r, V, 'cn_mobile')
        if r.random() < 0.9:
            buyer['id_card'] = jplant(r, V, 'cn_resident_id')
        if r.random() < 0.8:
            buyer['email'] = jplant(r, V, 'email')
        if r.random() < 0.35:
            buyer['landline'] = jplant(r, V, 'cn_landline')
        o['buyer'] = buyer
        if r.random() < 0.15:
            o['contacts'] = [{'name': V.name_pieces(), 'mobile': jplant(r, V, 'cn_mobile')}
                             for _ in range(r.choice((1, 2, 2)))]
        pay = {'amount': float(V.amount()),
               'txn_id': JNum(Silent('snowflake', V.snowflake()[0], report=False))}
        if r.random() < 0.7:
            pay['card_no'] = jplant(r, V, 'bank_card')
        o['payment'] = pay
        o['items'] = jraw([{'sku': 'SKU-' + V.short_digits(6), 'price': float(V.amount()), 'qty': r.randrange(1, 5)}
                           for _ in range(r.choice((1, 1, 2, 3)))], ascii_only)
        dev = {}
        if r.random() < 0.35:
            dev['imei'] = jplant(r, V, 'imei')
        if r.random() < 0.8:
            dev['ip'] = jplant(r, V, 'ipv4')
        if r.random() < 0.25:
            dev['ipv6'] = jplant(r, V, 'ipv6')
        dev['ua_hash'] = V.hexstr(16)
        o['device'] = dev
        if r.random() < 0.3:
            o['company'] = {'uscc': jplant(r, V, 'cn_uscc')}
        if r.random() < 0.25:
            o['travel'] = {'passport': jplant(r, V, 'cn_passport')}
        if r.random() < 0.3:
            o['vehicle'] = {'plate': jplant(r, V, 'cn_plate')}
        if r.random() < 0.02:
            o['cloud'] = {'aws_key': jplant(r, V, 'aws_access_key')}
        k = r.random()
        if k < 0.14 and not weak_lookalike:
            rule = r.choice(REMARK_RULES)
            v, form = V.value(rule)
            pre, suf = r.choice(TEXT_CTX[rule])
            # in an ASCII-only line the hotword itself is written as \uXXXX
            form = 'note_escaped_hotword' if ascii_only and not (pre + suf).isascii() else 'note'
            o['note'] = [pre, Plant(rule, v, form), suf + (' 客户说"好"' if r.random() < 0.2 else '')]
        elif k < 0.5:
            o['note'] = V.noise() + (' path C:\\tmp' if r.random() < 0.05 else '')
        jemit(out, o, '', ascii_only)
        out.raw('\n')
    meta = {'format': 'jsonl', 'compression': 'none', 'records': n, 'classification': JSONL_CLASSIFICATION}
    return out, meta


JSONL_CLASSIFICATION = {
    'buyer.mobile': 'cn_mobile', 'contacts.mobile': 'cn_mobile', 'buyer.id_card': 'cn_resident_id',
    'buyer.email': 'email', 'buyer.landline': 'cn_landline', 'payment.card_no': 'bank_card',
    'device.imei': 'imei', 'device.ip': 'ipv4', 'device.ipv6': 'ipv6', 'company.uscc': 'cn_uscc',
    'travel.passport': 'cn_passport', 'vehicle.plate': 'cn_plate', 'cloud.aws_key': 'aws_access_key',
    'order_id': None, 'ref_no': None, 'doc_code': None, 'status': None, 'channel': None, 'trace_id': None,
    'created_at': None, 'created_ms': None, 'store_code': None, 'payment.amount': None,
    'payment.txn_id': None, 'items.sku': None, 'items.price': None, 'items.qty': None, 'device.ua_hash': None,
}


# ---- text logs

LOG_TAGS = ['auth', 'order', 'sms', 'pay', 'kyc', 'mail', 'gateway', 'device', 'park', 'billing']


def gen_log(name, n, r):
    V = Values(r)
    out = Out(name)
    rules = list(TEXT_CTX)
    weights = [22, 12, 10, 10, 6, 12, 6, 6, 5, 5, 5, 2]
    for rec in range(1, n + 1):
        out.record = rec
        ts = '2024-%02d-%02d %02d:%02d:%02d.%03d' % (r.randrange(1, 13), r.randrange(1, 29), r.randrange(24),
                                                    r.randrange(60), r.randrange(60), r.randrange(1000))
        k = r.random()
        if k < 0.2:  # a line with PII (sometimes two values)
            out.raw('%s INFO [%s] ' % (ts, r.choice(LOG_TAGS)))
            nvals = 2 if r.random() < 0.15 else 1
            for i in range(nvals):
                rule = r.choices(rules, weights)[0]
                v, form = V.value(rule)
                if rule in ('cn_passport', 'imei') or r.random() < 0.7:
                    pre, suf = r.choice(TEXT_CTX[rule])
                else:
                    pre, suf = '', ' seen'
                if i:
                    out.raw('; ')
                out.raw(pre)
                out.piece(None, Plant(rule, v, form if pre else form + '_bare'))
                out.raw(suf)
        elif k < 0.24:  # a weak look-alike alone on a neutral line
            tag = r.choice(['batch', 'job', 'sync'])
            kk = r.random()
            if kk < 0.4:
                v, kind = V.ref_no()
                while kind != 'imei_no_context':
                    v, kind = V.ref_no()
                out.raw('%s INFO [%s] seq=' % (ts, tag))
            elif kk < 0.7:
                v, kind = r.choice('EG') + V.digits(8), 'passport_no_context'
                out.raw('%s INFO [%s] code ' % (ts, tag))
            else:
                v, kind = V.ref_no()
                while kind != 'unionpay_no_luhn':
                    v, kind = V.ref_no()
                out.raw('%s INFO [%s] ref=' % (ts, tag))
            out.piece(None, Silent(kind, v))
            out.raw(' queued')
        else:  # noise with look-alike numbers
            out.raw('%s %s [%s] ' % (ts, r.choice(['INFO', 'INFO', 'DEBUG', 'WARN']), r.choice(LOG_TAGS)))
            t = r.randrange(10)
            if t == 0:
                v, kind = V.order_no()
                out.raw('GET /api/v2/orders/')
                out.piece(None, Silent(kind, v))
                out.raw(' 200 %dms' % r.randrange(1, 900))
            elif t == 1:
                out.raw('job %s finished in %d.%ds' % (V.uuid(), r.randrange(100), r.randrange(10)))
            elif t == 2:
                out.raw('cache hits=%d misses=%d ratio=0.%02d' % (r.randrange(99999), r.randrange(9999),
                                                                  r.randrange(100)))
            elif t == 3:
                out.raw('trace=%s parent=%s' % (V.hexstr(20), V.hexstr(8)))
            elif t == 4:
                out.raw('event ts=')
                out.piece(None, Silent('ms_timestamp', V.created_ms()[0], report=False))
                out.raw(' id=')
                out.piece(None, Silent('snowflake', V.snowflake()[0], report=False))
            elif t == 5:
                out.raw('release %s deployed to %d nodes' % (V.version(), r.randrange(2, 64)))
            elif t == 6:
                v, kind = V.order_no()
                out.raw('order ')
                out.piece(None, Silent(kind, v))
                out.raw(' amount=%s CNY' % V.amount())
            elif t == 7:
                out.raw('postal=%s city=shenzhen qty=%d' % (V.postal(), r.randrange(1, 9)))
            elif t == 8:
                out.raw('gc pause %dms heap=%dMB' % (r.randrange(1, 500), r.randrange(64, 8192)))
            else:
                v, kind = V.customer_no()
                out.raw('库存同步完成 sku=SKU-%s 客户=' % V.short_digits(6))
                out.piece(None, Silent(kind, v, report=kind == 'mobile_bad_prefix'))
        out.raw('\n')
    return out, {'format': 'text', 'compression': 'none', 'records': n}


# ---------------------------------------------------------------- checks

def self_check(out, data, fmt):
    """Labels against the bytes and parsers; filler against the hazard list."""
    errors = []
    for lab in out.labels:
        raw = data[lab['offset']:lab['offset'] + lab['length']].decode('utf-8')
        dec = json.loads('"' + raw + '"') if fmt == 'jsonl' and '\\u' in raw else raw
        if dec != lab['value']:
            errors.append('label bytes differ: %r' % {k: lab[k] for k in ('record', 'field', 'rule', 'offset')})
        if not strict_ok(lab['rule'], lab['value']):
            errors.append('label not valid per oracle: %s record %d' % (lab['rule'], lab['record']))
        # neighbours: no letter/digit glued to the value, no digit group after a separator
        a, b = lab['offset'], lab['offset'] + lab['length']
        before, after = data[a - 1:a], data[b:b + 2]
        if re.match(rb'[0-9A-Za-z_.+@-]', before) or re.match(rb'[0-9A-Za-z_@]|[ .-]\d', after):
            # ensure_ascii JSON: '手机号13812345678' becomes '\\u53f713812345678'
            if not (fmt == 'jsonl' and lab['form'] == 'note_escaped_hotword'):
                errors.append('label glued to neighbour: %s record %d %r %r' % (lab['rule'], lab['record'],
                                                                                before, after))
    # record / field attribution by independent parsers
    if fmt == 'csv':
        import csv
        import io
        rows = list(csv.reader(io.StringIO(data.decode('utf-8'), newline='')))
        header = rows[0]
        for lab in out.labels:
            row = rows[lab['record']]
            if lab['value'] not in row[header.index(lab['field'])]:
                errors.append('csv attribution: record %d field %s' % (lab['record'], lab['field']))
        if len(rows) - 1 != out.record:
            errors.append('csv has %d data rows, expected %d' % (len(rows) - 1, out.record))
    if fmt in ('jsonl', 'text'):
        starts = [0]
        for m in re.finditer(rb'\n', data):
            starts.append(m.end())
        objs = [json.loads(line) for line in data.decode('utf-8').splitlines()] if fmt == 'jsonl' else None
        for lab in out.labels:
            rec = lab['record']
            if not (starts[rec - 1] <= lab['offset'] and lab['offset'] + lab['length'] < starts[rec]):
                errors.append('%s line attribution: record %d' % (fmt, rec))
            if fmt == 'jsonl':
                leaves = _jpath(objs[rec - 1], lab['field'].split('.'))
                if not any(lab['value'] in str(x) for x in leaves):
                    errors.append('jsonl field attribution: record %d field %s' % (rec, lab['field']))
    # hazards in filler
    buf = bytearray(data)
    for lab in out.labels:
        buf[lab['offset']:lab['offset'] + lab['length']] = b'#' * lab['length']
    for off, n, kind in out.noise_spans:
        buf[off:off + n] = b'#' * n
    # look-alikes: invalid per the oracles (weak ones: valid shape, no context)
    expect = {'imei_no_context': {'luhn'}}
    for off, n, kind in out.noise_spans:
        v = data[off:off + n].decode('ascii')
        if v.isdigit():
            got = digit_hazards(v, luhn_ok_std, std_uscc.is_valid)
            if got != expect.get(kind, set()) or (kind == 'imei_no_context' and not ok_imei(v)):
                errors.append('look-alike %s at byte %d is %s per the oracles' % (kind, off, sorted(got)))
            if kind != 'imei_no_context' and len(v) in (15, 18) and ok_ric(v) or \
                    kind != 'imei_no_context' and len(v) == 15 and std_imei.is_valid(v) or \
                    kind != 'imei_no_context' and 13 <= len(v) <= 19 and std_luhn.is_valid(v):
                errors.append('look-alike %s at byte %d passes an oracle' % (kind, off))
        elif kind == 'passport_no_context' and not RE_PASSPORT.match(v):
            errors.append('look-alike %s at byte %d is not passport-shaped' % (kind, off))
    for what, rx in HAZARDS:
        for m in rx.finditer(bytes(buf)):
            errors.append('filler hazard (%s) at byte %d: %r' % (what, m.start(), bytes(buf[m.start() - 20:
                                                                                            m.end() + 20])))
            break
    return errors


def _jpath(obj, parts):
    if not parts:
        return [obj]
    if isinstance(obj, list):
        return [x for o in obj for x in _jpath(o, parts)]
    if isinstance(obj, dict) and parts[0] in obj:
        return _jpath(obj[parts[0]], parts[1:])
    return []


# ---------------------------------------------------------------- main

def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def lz4_compress(src, dst, extra=()):
    subprocess.run(['lz4', '-q', '-z', '-f', *extra, src, dst], check=True)


def _label_lines(items, name):
    enc = json.JSONEncoder(ensure_ascii=False).encode
    return ''.join(enc(dict(x, file=name)) + '\n' for x in items)


def build(task):
    """Generate one export into outdir; write its label and look-alike parts.
    Runs in a worker process; returns {file name: meta} and problems."""
    outdir, name, fmt, seed, nrec, want_lz4, check = task
    fn = {'csv': gen_csv, 'jsonl': gen_jsonl, 'text': gen_log}[fmt]
    out, meta = fn(name, nrec, random.Random('%d:%s' % (seed, name.replace('export2', 'export'))))
    data = out.data()
    problems = ['%s: %s' % (name, e) for e in self_check(out, data, fmt)] if check else []
    path = os.path.join(outdir, name)
    write(path, data)
    names, metas = [], {}
    if name == 'export2.jsonl':  # exists only compressed
        lz4_compress(path, path + '.lz4', ('-B4', '-BD'))
        os.unlink(path)
        names.append(name + '.lz4')
        metas[name + '.lz4'] = dict(meta, compression='lz4')
    else:
        names.append(name)
        metas[name] = meta
        if want_lz4:
            lz4_compress(path, path + '.lz4')
            names.append(name + '.lz4')
            metas[name + '.lz4'] = dict(meta, compression='lz4')
            if check:
                d = subprocess.run(['lz4', '-d', '-c', path + '.lz4'], check=True, capture_output=True).stdout
                if d != data:
                    problems.append('%s.lz4 does not decompress to %s' % (name, name))
    with open(os.path.join(outdir, '.labels.' + name), 'w', encoding='utf-8') as f:
        for nm in names:
            f.write(_label_lines(out.labels, nm))
    with open(os.path.join(outdir, '.silent.' + name), 'w', encoding='utf-8') as f:
        for nm in names:
            f.write(_label_lines(out.silent, nm))
    counts = (len(out.labels) * len(names), len(out.silent) * len(names))
    return name, metas, problems, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('outdir', nargs='?')
    ap.add_argument('--records', type=int, default=20000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--formats', default='csv,jsonl,log,lz4',
                    help='comma list of csv, jsonl, log, lz4 (lz4: export.csv.lz4 and export2.jsonl.lz4)')
    ap.add_argument('--jobs', type=int, default=min(4, os.cpu_count() or 1), help='worker processes')
    ap.add_argument('--self-check', action='store_true',
                    help='verify every label and look-alike with the oracles, and the filler (slower)')
    ap.add_argument('--emit', metavar='RULE', help='print one valid value of RULE and exit')
    a = ap.parse_args()
    gc.disable()  # hundreds of thousands of small objects, no cycles

    if a.emit:
        V = Values(random.Random(a.seed))
        print(V.mobile('plain')[0] if a.emit == 'cn_mobile' else V.value(a.emit)[0])
        return 0
    if not a.outdir:
        ap.error('OUTDIR is required')
    os.makedirs(a.outdir, exist_ok=True)
    formats = set(a.formats.split(','))
    n = a.records
    plan = []  # biggest first, so that two workers finish together
    if 'jsonl' in formats:
        plan.append(('export.jsonl', 'jsonl', a.seed, n, False))
    if 'csv' in formats or 'lz4' in formats:
        plan.append(('export.csv', 'csv', a.seed, n, 'lz4' in formats))
    if 'lz4' in formats:
        plan.append(('export2.jsonl', 'jsonl', a.seed + 1, max(1, n // 4), False))
    if 'log' in formats:
        plan.append(('export.log', 'text', a.seed, n, False))
    tasks = [(a.outdir, name, fmt, seed, nrec, lz, a.self_check) for name, fmt, seed, nrec, lz in plan]
    if a.jobs > 1 and len(tasks) > 1:
        import multiprocessing
        with multiprocessing.get_context('fork').Pool(min(a.jobs, len(tasks))) as pool:
            results = pool.map(build, tasks, chunksize=1)
    else:
        results = [build(t) for t in tasks]

    metas, problems, nlabels, nsilent = {}, [], 0, 0
    for kind in ('labels', 'silent'):
        with open(os.path.join(a.outdir, kind + '.jsonl'), 'w', encoding='utf-8') as f:
            for name, _, _, _ in results:
                part = os.path.join(a.outdir, '.%s.%s' % (kind, name))
                with open(part, encoding='utf-8') as pf:
                    f.write(pf.read())
                os.unlink(part)
    for name, m, p, (nl, ns) in results:
        metas.update(m)
        problems += p
        nlabels += nl
        nsilent += ns
    with open(os.path.join(a.outdir, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump({'records': n, 'seed': a.seed, 'files': metas}, f, ensure_ascii=False, indent=1)

    if a.self_check:
        for p in problems[:20]:
            print('gen_exports: self-check: ' + p, file=sys.stderr)
        if problems:
            print('gen_exports: self-check FAILED (%d problems)' % len(problems), file=sys.stderr)
            return 1
        print('gen_exports: self-check ok: %d labels, %d look-alikes verified with the oracles' %
              (nlabels, nsilent), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
