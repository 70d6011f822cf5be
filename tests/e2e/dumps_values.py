"""Values for the SQL dump tests (gen_dumps.py): oracles and seeded draws.

Every planted value is valid per an independent oracle (python-stdnum:
cn.ric, cn.uscc, luhn, imei; phonenumbers: CN mobile / fixed line; plain
regular expressions for the formats without a check digit), and every
look-alike is invalid under the loosest reading of every rule it could be
taken for. Draws that fail are redrawn; nothing here looks at the scanner.
"""

import datetime
import ipaddress
import os
import re

import phonenumbers
from stdnum import imei as std_imei
from stdnum import luhn as std_luhn
from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

# The value tables and patterns both generators draw from are
# gen_exports.py's: one copy of the numbering plans and BIN lists.
from gen_exports import (  # noqa: E402
    AREA2, B32, EMAIL_DOMAINS, IMEI_TACS, MOBILE_PREFIXES, PLATE_ALNUM, PLATE_PROV, PROVINCES,
    RE_AWS, RE_EMAIL, RE_PASSPORT, RE_PLATE, RE_POSTAL, UNIONPAY_BINS, USCC_DEPT, USCC_ORG_ALPHA,
    VISA_BINS)

# ---------------------------------------------------------------- oracles

_PN = phonenumbers.PhoneNumberType
_LOC_DAT = os.path.join(os.path.dirname(std_ric.__file__), 'loc.dat')


def _load_regions():
    """A fixed sample of county codes from stdnum's region table."""
    codes = []
    with open(_LOC_DAT, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'(\d{6}) ', line)
            if m and m.group(1)[:2] in PROVINCES and not m.group(1).endswith('00'):
                codes.append(m.group(1))
    return codes[::12]


REGIONS = _load_regions()

# stdnum looks the birth place up in its numdb on every call (slow); the
# answer depends on the first six digits only.
_birth_place = std_ric.get_birth_place
_birth_cache = {}


def _cached_birth_place(number):
    key = std_ric.compact(number)[:6]
    if key not in _birth_cache:
        try:
            _birth_cache[key] = _birth_place(number)
        except Exception as e:  # remember failures too
            _birth_cache[key] = e
    r = _birth_cache[key]
    if isinstance(r, Exception):
        raise r
    return r


std_ric.get_birth_place = _cached_birth_place


def date_ok(y, m, d):
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


_pn_cache = {}


def pn_type(national):
    t = _pn_cache.get(national)
    if t is None:
        n = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
        t = phonenumbers.number_type(n) if phonenumbers.is_valid_number(n) else -1
        _pn_cache[national] = t
    return None if t == -1 else t


def ok_mobile(d):
    return len(d) == 11 and d.isdigit() and pn_type(d) in (_PN.MOBILE, _PN.FIXED_LINE_OR_MOBILE)


def ok_landline(national):
    return pn_type(national) in (_PN.FIXED_LINE, _PN.FIXED_LINE_OR_MOBILE)


def ok_ric(s):
    s = s.upper()
    if len(s) == 15:
        if not s.isdigit():
            return False
        body = s[:6] + '19' + s[6:]
        s = body + std_ric.calc_check_digit(body + '0')
    return std_ric.is_valid(s)


def ok_card(d):
    if not (d.isdigit() and 16 <= len(d) <= 19 and std_luhn.is_valid(d)):
        return False
    if d.startswith('62'):
        return True
    if d.startswith('4'):
        return len(d) in (16, 19)
    p2, p4 = int(d[:2]), int(d[:4])
    return len(d) == 16 and (51 <= p2 <= 55 or 2221 <= p4 <= 2720)


def ok_ipv4(s):
    try:
        a = ipaddress.IPv4Address(s)
    except ValueError:
        return False
    return str(a) == s and not (a.is_loopback or a.is_multicast or a.is_unspecified)


def ok_ipv6(s):
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return '.' not in s


RE_QQ = re.compile(r'^[1-9]\d{4,10}$')
HAN = re.compile('[\u4e00-\u9fff]')


def strict_ok(rule, v):
    """Whether v (as written) is valid for rule per the oracles."""
    if rule == 'cn_mobile':
        d = re.sub(r'[ -]', '', v)
        d = d[3:] if d.startswith('+86') else d[4:] if d.startswith('0086') else d
        return ok_mobile(d)
    if rule == 'cn_landline':
        d = re.sub(r'[ ()-]', '', v)
        return d.startswith('0') and d.isdigit() and ok_landline(d[1:])
    if rule == 'cn_resident_id':
        return ok_ric(v)
    if rule == 'bank_card':
        return ok_card(v.replace(' ', ''))
    if rule == 'imei':
        return len(v) == 15 and std_imei.is_valid(v)
    if rule == 'cn_uscc':
        return std_uscc.is_valid(v)
    if rule == 'email':
        return bool(RE_EMAIL.match(v))
    if rule == 'ipv4':
        return ok_ipv4(v)
    if rule == 'ipv6':
        return ok_ipv6(v)
    if rule == 'cn_passport':
        return bool(RE_PASSPORT.match(v))
    if rule == 'cn_plate':
        return bool(RE_PLATE.match(v))
    if rule == 'aws_access_key':
        return bool(RE_AWS.match(v))
    if rule == 'cn_postal_code':
        return bool(RE_POSTAL.match(v))
    if rule == 'qq_number':
        return bool(RE_QQ.match(v))
    if rule == 'cn_name':
        return 2 <= len(v) <= 12 and all(HAN.match(c) or c == '·' for c in v)
    if rule == 'cn_address':
        return (len(HAN.findall(v)) >= 6 and any(c in v for c in '省市区县')
                and any(c in v for c in '路街号室村'))
    raise KeyError(rule)


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_ok(s):
    return (sum(map(int, s[-1::-2])) + sum(_DOUBLED[int(c)] for c in s[-2::-2])) % 10 == 0


def luhn_check_digit(body):
    return str((10 - (sum(_DOUBLED[int(c)] for c in body[-1::-2]) + sum(map(int, body[-2::-2])))) % 10)


def uscc_digits_ok(s):
    return std_uscc.calc_check_digit(s) == s[17]


def loose_ric18(s):
    s = s.upper()
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in '0123456789X':
        return False
    return std_ric.calc_check_digit(s) == s[17] and date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def loose_ric15(s):
    return (len(s) == 15 and s.isdigit() and s[:2] in PROVINCES
            and date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])))


def digit_hazards(s):
    """The rules a standalone run of digits could plausibly be taken for
    (weak formats, which need context, aside)."""
    n, out = len(s), set()
    if n == 11 and s[0] == '1' and s[1] in '3456789':
        out.add('mobile')
    if 13 <= n <= 19 and luhn_ok(s):
        out.add('luhn')
    if n == 15 and loose_ric15(s):
        out.add('ric15')
    if n == 18 and loose_ric18(s):
        out.add('ric18')
    if n == 18 and uscc_digits_ok(s):
        out.add('uscc')
    if 10 <= n <= 12 and s[0] == '0':
        out.add('landline')
    return out


# ---------------------------------------------------------------- draws

AREA3 = '311 351 371 431 451 512 531 532 551 571 574 591 731 755 769 771 851 871 898 931 991'.split()
MC_BINS = '510011 524374 535918 541234 552266 222100 230045 251234'.split()
# Common surnames (Ministry of Public Security statistics: the top of the list)
SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'
COMPOUND_SURNAMES = ['欧阳', '司马', '诸葛', '上官', '东方', '慕容']
GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红文辉建国晓婷雪琳欣怡浩宇子轩梓涵俊峰'
MINORITY = ['阿依古丽·买买提', '买买提·艾力', '古丽娜尔·吐尔逊', '艾尔肯·阿不都', '热依拉·依明']
NICK_WORDS = ['快乐的鱼', '小明同学', '追风少年', '月亮代表我的心', '奶茶控', '阿狸', '小太阳', '一只猫',
              '夜猫子', '吃货本货', '稻草人', '南山南', '向日葵', '蓝色海洋', '江湖路远']
PINYIN_SUR = 'wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo'.split()
PINYIN_GIVEN = 'wei fang na min jing li qiang lei jun yang yong yan jie juan tao ming chao xia ping gang'.split()
PROV_CITY = [('北京市', ['海淀区', '朝阳区', '东城区', '丰台区']), ('上海市', ['浦东新区', '徐汇区', '静安区']),
             ('天津市', ['南开区', '河西区']), ('重庆市', ['渝中区', '江北区']),
             ('广东省深圳市', ['南山区', '福田区', '宝安区']), ('广东省广州市', ['天河区', '越秀区']),
             ('浙江省杭州市', ['西湖区', '滨江区', '余杭区']), ('江苏省南京市', ['鼓楼区', '玄武区']),
             ('四川省成都市', ['武侯区', '锦江区']), ('湖北省武汉市', ['洪山区', '江汉区']),
             ('陕西省西安市', ['雁塔区', '碑林区']), ('山东省青岛市', ['市南区', '崂山区']),
             ('福建省厦门市', ['思明区', '湖里区']), ('河南省郑州市', ['金水区', '二七区']),
             ('湖南省长沙市', ['岳麓区', '芙蓉区']), ('云南省昆明市', ['五华区', '盘龙区'])]
ROADS = ['中关村大街', '科技园南路', '文三路', '人民路', '解放路', '建设路', '长江路', '和平街', '新华路',
         '东风路', '学院路', '滨海大道', '光明街', '幸福路', '朝阳北路', '北京东路']


def luhn_complete(r, prefix, length):
    n = length - len(prefix) - 1
    body = prefix + '%0*d' % (n, r.randrange(10 ** n))
    return body + luhn_check_digit(body)


def luhn_break(s):
    good = luhn_check_digit(s[:-1])
    return s[:-1] + str((int(good) + 1 + int(s[-2]) % 8) % 10)


class Values:
    """Seeded draws of valid values (value, form) and look-alikes."""

    def __init__(self, r):
        self.r = r

    def digits(self, n):
        return '%0*d' % (n, self.r.randrange(10 ** n))

    # ---- planted values

    def mobile_digits(self):
        while True:
            d = self.r.choice(MOBILE_PREFIXES) + self.digits(8)
            if ok_mobile(d):
                return d

    def mobile(self, plain_share=0.9):
        r = self.r
        d = self.mobile_digits()
        if r.random() < plain_share:
            return d, 'plain'
        form = r.choice(['plus86_space', 'plus86', 'dash344', 'space344'])
        v = {'plus86_space': '+86 ' + d, 'plus86': '+86' + d,
             'dash344': '%s-%s-%s' % (d[:3], d[3:7], d[7:]),
             'space344': '%s %s %s' % (d[:3], d[3:7], d[7:])}[form]
        return v, form

    def landline(self):
        r = self.r
        form = r.choices(['dash', 'space', 'paren'], [80, 10, 10])[0]
        while True:
            if r.random() < 0.4:
                area, sub = r.choice(AREA2), r.choice('2345678') + self.digits(7)
            else:
                area, sub = r.choice(AREA3), r.choice('2345678') + self.digits(r.choice((6, 7)))
            if ok_landline(area + sub):
                break
        v = {'dash': '0%s-%s', 'space': '0%s %s', 'paren': '(0%s)%s'}[form] % (area, sub)
        return v, form

    def birth(self, lo=1940, hi=2012):
        while True:
            y, m, d = self.r.randrange(lo, hi + 1), self.r.randrange(1, 13), self.r.randrange(1, 32)
            if date_ok(y, m, d):
                return '%04d%02d%02d' % (y, m, d)

    def ric(self):
        r = self.r
        if r.random() < 0.05:  # legacy 15-digit form
            while True:
                v = r.choice(REGIONS) + self.birth(1940, 1999)[2:] + self.digits(3)
                if digit_hazards(v) == {'ric15'}:
                    return v, 'legacy15'
        want_x = r.random() < 0.1
        while True:
            body = r.choice(REGIONS) + self.birth() + self.digits(3)
            v = body + std_ric.calc_check_digit(body + '0')
            if want_x != v.endswith('X'):
                continue
            if not want_x and digit_hazards(v) != {'ric18'}:
                continue  # also a Luhn-valid card or an all-digit USCC: ambiguous truth
            if want_x and r.random() < 0.3:
                return v[:-1] + 'x', 'lower_x'
            return v, 'upper_x' if want_x else 'plain'

    def card_digits(self, kind=None):
        r = self.r
        kind = kind or r.choices(['unionpay', 'visa', 'mastercard'], [60, 20, 20])[0]
        while True:
            if kind == 'unionpay':
                d = luhn_complete(r, r.choice(UNIONPAY_BINS), r.choice((16, 16, 17, 18, 19, 19)))
            elif kind == 'visa':
                d = luhn_complete(r, r.choice(VISA_BINS), 16)
            else:
                d = luhn_complete(r, r.choice(MC_BINS), 16)
            if digit_hazards(d) == {'luhn'}:
                return d, kind

    def card(self, kind=None, grouped=0.1):
        d, kind = self.card_digits(kind)
        if self.r.random() < grouped:
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
            k = r.randrange(4)
            if k == 0:
                local = r.choice(PINYIN_SUR) + '.' + r.choice(PINYIN_GIVEN)
            elif k == 1:
                local = r.choice(PINYIN_GIVEN) + r.choice(PINYIN_SUR) + str(r.randrange(10, 9999))
            elif k == 2:
                local = r.choice(PINYIN_SUR) + '_' + r.choice(PINYIN_GIVEN) + '+shop'
            else:
                local = str(r.randrange(10000, 999999))
            v = local + '@' + r.choice(EMAIL_DOMAINS)
            if strict_ok('email', v):
                return v, 'plain'

    def ipv4(self):
        while True:
            a = self.r.randrange(11, 224)
            v = '%d.%d.%d.%d' % (a, self.r.randrange(256), self.r.randrange(256), self.r.randrange(1, 255))
            if a != 127 and ok_ipv4(v):
                return v, 'plain'

    def ipv6(self):
        r = self.r
        while True:
            g = [r.choice((0x2001, 0x240e, 0x2408, 0x2409, 0x2400))] + [r.randrange(65536) for _ in range(7)]
            if r.random() < 0.5:
                z = r.randrange(1, 7)
                for i in range(z, min(8, z + r.randrange(2, 5))):
                    g[i] = 0
            a = ipaddress.IPv6Address(':'.join('%x' % x for x in g))
            v = a.compressed if r.random() < 0.8 else a.exploded
            if len(v) >= 12 and ok_ipv6(v):
                return v, 'plain'

    def passport(self):
        r = self.r
        k = r.random()
        if k < 0.7:
            v = 'E' + self.digits(8)
        elif k < 0.85:
            v = 'G' + self.digits(8)
        else:
            v = 'E' + r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') + self.digits(7)
        if not strict_ok('cn_passport', v) or v[1:].strip('0') == '':
            return self.passport()
        return v, v[0] if v[1].isdigit() else 'E_letter'

    def plate(self):
        r = self.r
        head = r.choice(PLATE_PROV) + r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')
        k = r.random()
        if k < 0.6:
            tail, form = self.digits(5), 'digits'
        elif k < 0.8:
            t = [r.choice('0123456789') for _ in range(5)]
            t[r.randrange(5)] = r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')
            tail, form = ''.join(t), 'alnum'
        else:
            tail, form = r.choice('DF') + r.choice(PLATE_ALNUM) + self.digits(4), 'new_energy'
        return head + tail, form

    def aws(self):
        return 'AKIA' + ''.join(self.r.choice(B32) for _ in range(16)), 'plain'

    def name(self):
        r = self.r
        k = r.random()
        if k < 0.03:
            return r.choice(MINORITY), 'minority'
        if k < 0.08:
            return r.choice(COMPOUND_SURNAMES) + ''.join(r.choice(GIVEN) for _ in range(r.choice((1, 2)))), \
                'compound'
        return r.choice(SURNAMES) + ''.join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2)))), 'plain'

    def address(self):
        r = self.r
        pc, districts = r.choice(PROV_CITY)
        v = '%s%s%s%d号' % (pc, r.choice(districts), r.choice(ROADS), r.randrange(1, 400))
        k = r.random()
        if k < 0.4:
            v += '%d栋%d室' % (r.randrange(1, 30), r.randrange(101, 2999))
        elif k < 0.6:
            v += '%d单元%d室' % (r.randrange(1, 9), r.randrange(101, 999))
        return v, 'plain'

    def postal(self):
        v = '%06d' % (self.r.randrange(10, 86) * 10000 + self.r.randrange(100) * 100 + self.r.randrange(10))
        return (v, 'plain') if RE_POSTAL.match(v) else self.postal()

    def qq(self):
        r = self.r
        while True:
            n = r.choice((5, 6, 7, 8, 9, 9, 10, 10, 11))
            v = str(r.randrange(10 ** (n - 1), 10 ** n))
            if not digit_hazards(v) and not (n == 11 and v[1] in '3456789'):
                return v, 'plain'

    def value(self, rule):
        return {'cn_mobile': self.mobile, 'cn_landline': self.landline, 'cn_resident_id': self.ric,
                'bank_card': self.card, 'imei': self.imei, 'cn_uscc': self.uscc, 'email': self.email,
                'ipv4': self.ipv4, 'ipv6': self.ipv6, 'cn_passport': self.passport, 'cn_plate': self.plate,
                'aws_access_key': self.aws}[rule]()

    # ---- look-alikes: (value, kind)

    def nickname(self):
        r = self.r
        k = r.random()
        if k < 0.5:
            return self.name()[0], 'name_shaped'
        if k < 0.8:
            return r.choice(NICK_WORDS), 'nick'
        return r.choice(PINYIN_GIVEN).title() + '_' + str(r.randrange(10, 999)), 'nick_latin'

    def order_no(self):
        """18 digits shaped like a resident id (region + date + sequence)
        whose GB 11643 check character is wrong."""
        r = self.r
        while True:
            body = r.choice(REGIONS) + self.birth() + self.digits(3)
            good = std_ric.calc_check_digit(body + '0')
            v = body + r.choice([c for c in '0123456789' if c != good])
            if not digit_hazards(v) and not ok_ric(v):
                return v, 'ric_bad_check'

    def created_ms(self):
        while True:
            v = str(self.r.randrange(1600000000000, 1735000000000))
            if not digit_hazards(v):
                return v, 'ms_timestamp'

    def snowflake(self):
        while True:
            v = str(self.r.randrange(1 << 60, 1 << 63))
            if not digit_hazards(v):
                return v, 'snowflake'

    def hexstr(self, nbytes):
        while True:
            v = '%0*x' % (nbytes * 2, self.r.getrandbits(nbytes * 8))
            if not re.search(r'\d{5}', v):
                return v

    def uuid(self):
        while True:
            h = self.hexstr(16)
            v = '%s-%s-4%s-a%s-%s' % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])
            if not re.search(r'\d{3}-\d{3}', v):
                return v

    def version(self):
        return '%d.%d.%d' % (self.r.randrange(0, 12), self.r.randrange(0, 30), self.r.randrange(0, 100))

    def amount(self):
        return '%d.%02d' % (self.r.randrange(1, 9999), self.r.randrange(100))
