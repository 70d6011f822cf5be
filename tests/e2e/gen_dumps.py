#!/usr/bin/python3
"""Seeded generator of labelled SQL dumps for piiscan's dump tests.

    gen_dumps.py OUTDIR [--rows N] [--seed S] [--long-mb M] [--self-check]

Writes into OUTDIR:
  mysql.sql    a mysqldump 10.13 dump (utf8mb4) of customers, orders, users:
               DROP/CREATE TABLE with KEY lines, LOCK TABLES, extended INSERTs
               of 100-500 tuples, some with an explicit (reordered) column
               list, some into `shop`.`orders`, backslash escapes, NULL,
               _binary '...', 0x... hex literals, trailing SET statements
  pg.sql       a pg_dump plain dump of the same tables: \\restrict, SET
               (standard_conforming_strings = on), CREATE TABLE public.*,
               ALTER TABLE ... OWNER TO, COPY ... FROM stdin blocks (tabs,
               \\N, backslash escapes, \\.), and INSERT INTO public.* (...)
               VALUES statements (one row and several rows per statement)
  gbk.sql      a mysqldump in GBK (/*!40101 SET NAMES gbk */;) of the same
               tables, Chinese names, addresses and remarks (a few GBK
               characters whose second byte is 0x5C, the backslash)
  pg_func.sql  a small pg_dump (N/20 users rows) with a plpgsql trigger
               function before the data: its dollar-quoted body holds an
               apostrophe (in a comment), semicolons and an INSERT statement
  long.sql     one INSERT statement of --long-mb MB (default 50) into
               orders: the bounded-memory case
  labels.jsonl one line per planted value: {"file", "record", "field", "rule",
               "offset", "length", "value", "form"}; record is the row's
               1-based ordinal in the file over all tables, field is
               "table.column", offset/length are bytes of the value as
               written in the file (GBK bytes in gbk.sql)
  meta.json    per file: format, encoding, records, and per field the
               expected classification (a rule id, null, or "free" for free
               text: reported, not asserted) and the number of records
               with a non-empty value

N (--rows, default 20000) is the number of rows per dump, all tables
together (40% customers, 35% orders, 25% users). Planted values are valid
per python-stdnum / phonenumbers (--self-check re-checks every label
against the file's bytes and the oracles, and every all-digit look-alike
against cn.ric, luhn, phonenumbers and cn.uscc); look-alike columns
(customers.nickname: name-shaped values in a field that is not a name
field, created_ms, order_no: 18 digits failing the GB 11643 check,
orders.order_id: snowflake ids, amount, sha1, uuid, version, payload: a
blob written as 0x... / bytea, and the ids) hold values no rule may report.
orders.postal_code and orders.qq are planted as cn_postal_code and
qq_number: the shipped rules report those weak formats in a field named
for them (see TABLES). The planted values only ever exist in OUTDIR.
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dumps_values as dv  # noqa: E402

# ---------------------------------------------------------------- cells


class Plant:
    """A planted value: must be reported as rule."""
    __slots__ = ('rule', 'value', 'form')

    def __init__(self, rule, value, form):
        self.rule, self.value, self.form = rule, value, form


class Look:
    """A look-alike value: must not be reported."""
    __slots__ = ('kind', 'value')

    def __init__(self, kind, value):
        self.kind, self.value = kind, value


class Str:
    """A string literal made of pieces (filler str, Plant, Look). intro:
    MySQL introducer ('_binary ') or PostgreSQL 'E' (escape string)."""
    __slots__ = ('pieces', 'intro')

    def __init__(self, pieces, intro=''):
        self.pieces, self.intro = pieces, intro

    def empty(self):
        return not any(p if isinstance(p, str) else p.value for p in self.pieces)


class Num:
    """A bare token (number); piece is str, Plant or Look."""
    __slots__ = ('piece',)

    def __init__(self, piece):
        self.piece = piece


class Hex:
    """Binary data: 0x... in MySQL (--hex-blob), '\\x...' bytea in PostgreSQL."""
    __slots__ = ('hex',)

    def __init__(self, h):
        self.hex = h


def text_of(p):
    return p if isinstance(p, str) else p.value


def esc_mysql(s):
    # mysqldump's escaping (mysql_real_escape_string)
    return (s.replace('\\', '\\\\').replace('\0', '\\0').replace('\n', '\\n').replace('\r', '\\r')
            .replace('\x1a', '\\Z').replace("'", "\\'").replace('"', '\\"'))


def esc_mysql_doubled(s):
    # what hand-written SQL often does: quotes doubled, backslashes escaped
    return s.replace('\\', '\\\\').replace('\n', '\\n').replace("'", "''")


def esc_pg(s):
    # standard_conforming_strings = on: backslashes are literal
    return s.replace("'", "''")


def esc_pg_e(s):
    # E'...' strings: backslash escapes
    return s.replace('\\', '\\\\').replace("'", "''").replace('\n', '\\n').replace('\t', '\\t')


def esc_copy(s):
    return s.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n').replace('\r', '\\r')


# ---------------------------------------------------------------- output


class Out:
    """One dump being written: bytes (streamed to disk), labels, counts."""

    def __init__(self, path, name, encoding='utf-8'):
        self.f = open(path, 'wb')
        self.name, self.enc = name, encoding
        self.buf, self.buflen, self.pos, self.pend = [], 0, 0, []
        self.record = 0
        self.labels = []
        self.looks = []  # look-alike digit strings (for --self-check)
        self.nonempty = {}
        self.tables_seen = []

    def raw(self, s):
        self.pend.append(s)

    def sync(self):
        """Encode what is pending: self.pos is then exact."""
        if self.pend:
            b = ''.join(self.pend).encode(self.enc)
            self.pend = []
            self.buf.append(b)
            self.buflen += len(b)
            self.pos += len(b)
            if self.buflen > 1 << 20:
                self.f.write(b''.join(self.buf))
                self.buf, self.buflen = [], 0

    def close(self):
        self.sync()
        self.f.write(b''.join(self.buf))
        self.f.close()

    def piece(self, field, p, esc):
        if isinstance(p, str):
            self.pend.append(esc(p) if esc else p)
            return
        if isinstance(p, Look):
            self.pend.append(p.value)
            if p.value.isdigit():
                self.looks.append(p.value)
            return
        # planted values need no escaping
        self.sync()
        start = self.pos
        self.pend.append(p.value)
        self.sync()
        self.labels.append({'file': self.name, 'record': self.record, 'field': field, 'rule': p.rule,
                            'offset': start, 'length': self.pos - start, 'value': p.value, 'form': p.form})

    def count(self, field, cell):
        if cell is None:
            return
        if isinstance(cell, Str) and cell.empty():
            return
        self.nonempty[field] = self.nonempty.get(field, 0) + 1

    def new_row(self, table, cols, cells):
        self.record += 1
        for c, cell in zip(cols, cells):
            self.count(table + '.' + c, cell)

    # ---- dialects

    def mysql_cell(self, field, cell, esc=esc_mysql):
        if cell is None:
            self.raw('NULL')
        elif isinstance(cell, Num):
            self.piece(field, cell.piece, None)
        elif isinstance(cell, Hex):
            self.raw('0x' + cell.hex.upper())
        else:
            self.raw(cell.intro + "'")
            for p in cell.pieces:
                self.piece(field, p, esc)
            self.raw("'")

    def pg_cell(self, field, cell):
        if cell is None:
            self.raw('NULL')
        elif isinstance(cell, Num):
            self.piece(field, cell.piece, None)
        elif isinstance(cell, Hex):
            self.raw("'\\x" + cell.hex + "'")
        else:
            esc = esc_pg_e if cell.intro == 'E' else esc_pg
            self.raw(cell.intro + "'")
            for p in cell.pieces:
                self.piece(field, p, esc)
            self.raw("'")

    def copy_cell(self, field, cell):
        if cell is None:
            self.raw('\\N')
        elif isinstance(cell, Num):
            self.piece(field, cell.piece, None)
        elif isinstance(cell, Hex):
            self.raw('\\\\x' + cell.hex)
        else:
            for p in cell.pieces:
                self.piece(field, p, esc_copy)


# ---------------------------------------------------------------- tables

# (column, MySQL type, PostgreSQL type, expected classification)
# expected: a rule id, None (must stay untagged) or 'free' (free text:
# whatever the classifier says is printed, not asserted)
TABLES = {
    'customers': [
        ('id', 'int unsigned NOT NULL AUTO_INCREMENT', 'integer NOT NULL', None),
        ('name', 'varchar(64) DEFAULT NULL', 'character varying(64)', 'cn_name'),
        ('nickname', 'varchar(64) DEFAULT NULL', 'character varying(64)', None),
        ('mobile', 'varchar(20) DEFAULT NULL', 'character varying(20)', 'cn_mobile'),
        ('id_card', 'char(18) DEFAULT NULL', 'character(18)', 'cn_resident_id'),
        ('email', 'varchar(128) DEFAULT NULL', 'character varying(128)', 'email'),
        ('address', 'varchar(255) DEFAULT NULL', 'character varying(255)', 'cn_address'),
        ('bank_card', 'varchar(32) DEFAULT NULL', 'character varying(32)', 'bank_card'),
        ('created_ms', 'bigint NOT NULL', 'bigint NOT NULL', None),
        ('order_no', 'char(18) DEFAULT NULL', 'character(18)', None),
        ('remark', 'text', 'text', 'free'),
    ],
    'orders': [
        ('order_id', 'bigint unsigned NOT NULL', 'bigint NOT NULL', None),
        ('card_no', 'varchar(32) DEFAULT NULL', 'character varying(32)', 'bank_card'),
        ('amount', 'decimal(12,2) NOT NULL', 'numeric(12,2) NOT NULL', None),
        ('ip', 'varchar(45) DEFAULT NULL', 'character varying(45)', 'ipv4'),
        ('device_imei', 'char(15) DEFAULT NULL', 'character(15)', 'imei'),
        # The shipped rules report a postal code / QQ number in a field that
        # says so (rules/contact.yaml: cn_postal_code, qq_number, both weak
        # with field words postal_code and qq), as tests/e2e/gen_exports.py
        # expects for its postal_code column.
        ('postal_code', 'char(6) DEFAULT NULL', 'character(6)', 'cn_postal_code'),
        ('qq', 'bigint DEFAULT NULL', 'bigint', 'qq_number'),
        ('sha1', 'char(40) DEFAULT NULL', 'character(40)', None),
        ('uuid', 'varbinary(36) DEFAULT NULL', 'uuid', None),
        ('version', 'varchar(16) DEFAULT NULL', 'character varying(16)', None),
        ('payload', 'blob', 'bytea', None),
    ],
    'users': [
        ('id', 'int NOT NULL', 'integer NOT NULL', None),
        ('mobile', 'varchar(20) DEFAULT NULL', 'character varying(20)', 'cn_mobile'),
        ('email', 'varchar(128) DEFAULT NULL', 'character varying(128)', 'email'),
        ('passport', 'varchar(16) DEFAULT NULL', 'character varying(16)', 'cn_passport'),
        ('plate', 'varchar(16) DEFAULT NULL', 'character varying(16)', 'cn_plate'),
        ('uscc', 'char(18) DEFAULT NULL', 'character(18)', 'cn_uscc'),
    ],
}
TABLE_SHARE = {'customers': 0.40, 'orders': 0.35, 'users': 0.25}
COMMENTS_ZH = {'name': '姓名', 'nickname': '昵称', 'mobile': '手机号', 'id_card': '身份证号', 'email': '邮箱',
               'address': '地址', 'bank_card': '银行卡号', 'remark': '备注', 'card_no': '卡号', 'ip': '下单IP',
               'passport': '护照号', 'plate': '车牌', 'uscc': '统一社会信用代码'}

# Free text: hotword templates around a planted value (weak formats always
# with a hotword right before them).
TEXT_CTX = {
    'cn_mobile': [('客户手机 ', ' 已核实'), ('联系电话：', ''), ('回拨 ', ' 未接通'), ('手机号', '，请回电'),
                  ('callback ', ' ok')],
    'cn_resident_id': [('身份证号 ', ' 已登记'), ('实名认证 身份证 ', ' 通过'), ('idno=', ' result=pass')],
    'email': [('发票发送至 ', ''), ('mail to ', ' ok'), ('邮箱：', '，请查收')],
    'bank_card': [('退款至卡号 ', ''), ('bind card ', ' for user'), ('支付卡号 ', ' 扣款成功')],
    'cn_landline': [('座机 ', ' 无人接听'), ('tel=', ' ext none'), ('办公电话：', '')],
    'ipv4': [('login ip=', ' cost=fast'), ('来源 ', ' 访问')],
    'ipv6': [('peer ', ' connected'), ('ip6=', ' ok')],
    'cn_uscc': [('统一社会信用代码 ', ' 校验通过'), ('company uscc=', ' ok')],
    'cn_passport': [('护照号码 ', ' 待复核'), ('passport=', ' checked')],
    'cn_plate': [('车牌 ', ' 入场'), ('车牌号', '，临时停车')],
    'imei': [('设备 IMEI ', ' 已绑定'), ('device imei=', ' registered')],
    'aws_access_key': [('aws key ', ' rotated'), ('access_key_id=', ' revoked')],
}
REMARK_RULES = ['cn_mobile', 'cn_mobile', 'cn_resident_id', 'email', 'bank_card', 'cn_landline', 'ipv4', 'ipv6',
                'cn_uscc', 'cn_passport', 'cn_plate', 'imei', 'aws_access_key']
# Filler with the characters every dialect must escape: quotes, backslashes
# (one at the very end), line breaks, tabs, parentheses, commas, semicolons.
NOISE = ['请尽快发货', '客户要求开具发票', '周末不方便收货', '已回访，满意', '包装需加固', '优先处理',
         "O'Brien 先生的订单", "it's fine", 'path C:\\temp\\', '反斜杠 \\ 在中间', '第一行备注\n第二行备注',
         'line one\r\nline two', 'col\tseparated', '客户说"尽快发货"', '已处理),(待定', '备注; 无',
         '(加急)', '100% 满意', 'gift wrap requested', '送货上门', "'quoted'", '\\', "x'),('y", '--not a comment',
         '/* not a comment */', 'a, b, c']
NOISE_GBK = NOISE + ['阿誠', '誠信经营 衆人拾柴', '謀定而后动']
NICK_GBK = ['阿誠', '小誠', '衆星捧月']


class Gen:
    def __init__(self, r, gbk=False):
        self.r, self.V, self.gbk = r, dv.Values(r), gbk
        self.noise = NOISE_GBK if gbk else NOISE
        self.ids = {}

    def next_id(self, table):
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def maybe(self, p, rule, wrap=Str):
        if self.r.random() >= p:
            return None
        v, form = self.V.value(rule)
        return wrap([Plant(rule, v, form)]) if wrap is Str else wrap(Plant(rule, v, form))

    def remark(self, pii_share=0.05):
        r, V = self.r, self.V
        k = r.random()
        if k < pii_share:
            rule = r.choice(REMARK_RULES)
            v, form = V.value(rule)
            pre, suf = r.choice(TEXT_CTX[rule])
            s = r.random()
            if s < 0.3:  # escapes before it
                return Str([r.choice(self.noise) + ' ' + pre, Plant(rule, v, 'remark_after_escapes'),
                            suf + ' ' + r.choice(self.noise)])
            return Str([pre, Plant(rule, v, 'remark'), suf])
        if k < 0.5:
            return Str([r.choice(self.noise)])
        if k < 0.55:
            return Str([''])
        return None

    def row(self, table):
        r, V = self.r, self.V
        if table == 'customers':
            nick = V.nickname()
            if self.gbk and r.random() < 0.05:
                nick = (r.choice(NICK_GBK), 'gbk_5c')
            name_v, name_form = V.name()
            return [
                Num(str(self.next_id(table))),
                Str([Plant('cn_name', name_v, name_form)]) if r.random() < 0.97 else None,
                Str([Look(nick[1], nick[0])]) if r.random() < 0.8 else None,
                self.maybe(0.95, 'cn_mobile'),
                self.maybe(0.90, 'cn_resident_id'),
                self.maybe(0.85, 'email'),
                Str([Plant('cn_address', *V.address())]) if r.random() < 0.9 else None,
                self.maybe(0.70, 'bank_card'),
                Num(Look(*reversed(V.created_ms()))),
                Str([Look(*reversed(V.order_no()))]) if r.random() < 0.9 else None,
                self.remark(),
            ]
        if table == 'orders':
            return [
                Num(Look(*reversed(V.snowflake()))),
                Str([Plant('bank_card', *V.card('unionpay', 0))]) if r.random() < 0.8 else None,
                Num(V.amount()),
                self.maybe(0.9, 'ipv4'),
                self.maybe(0.6, 'imei'),
                Str([Plant('cn_postal_code', *V.postal())]) if r.random() < 0.85 else None,
                Num(Plant('qq_number', *V.qq())) if r.random() < 0.5 else None,
                Str([V.hexstr(20)]),
                Str([V.uuid()], '_binary ' if r.random() < 0.3 else ''),
                Str([V.version()]),
                Hex(V.hexstr(r.randrange(8, 40))) if r.random() < 0.4 else None,
            ]
        mobile = None
        if r.random() < 0.95:
            v, form = V.mobile(plain_share=0.8)
            mobile = Str([Plant('cn_mobile', v, form)])
        return [
            Num(str(self.next_id(table))),
            mobile,
            self.maybe(0.8, 'email'),
            self.maybe(0.5, 'cn_passport'),
            self.maybe(0.6, 'cn_plate'),
            self.maybe(0.4, 'cn_uscc'),
        ]


def row_counts(n):
    c = int(n * TABLE_SHARE['customers'])
    o = int(n * TABLE_SHARE['orders'])
    return {'customers': c, 'orders': o, 'users': n - c - o}


# ---------------------------------------------------------------- MySQL

MYSQL_HEAD = """-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: 127.0.0.1    Database: shop
-- ------------------------------------------------------
-- Server version\t8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES {charset} */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
"""
MYSQL_TAIL = """/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2025-11-20 10:00:00
"""
MYSQL_KEYS = {'customers': ['  PRIMARY KEY (`id`)', '  UNIQUE KEY `uk_order_no` (`order_no`)',
                            '  KEY `idx_mobile` (`mobile`)', '  KEY `idx_created` (`created_ms`,`id`)'],
              'orders': ['  PRIMARY KEY (`order_id`)', '  KEY `idx_card` (`card_no`(8))'],
              'users': ['  PRIMARY KEY (`id`)', '  UNIQUE KEY `uk_mobile` (`mobile`)']}


def mysql_create(out, table, charset, comments):
    out.raw('\n--\n-- Table structure for table `%s`\n--\n\n' % table)
    out.raw('DROP TABLE IF EXISTS `%s`;\n' % table)
    out.raw('/*!40101 SET @saved_cs_client     = @@character_set_client */;\n')
    out.raw('/*!50503 SET character_set_client = %s */;\n' % charset)
    lines = []
    for col, mtype, _, _ in TABLES[table]:
        c = '  `%s` %s' % (col, mtype)
        if comments and col in COMMENTS_ZH:
            c += " COMMENT '%s'" % COMMENTS_ZH[col]
        lines.append(c)
    out.raw('CREATE TABLE `%s` (\n%s\n) ENGINE=InnoDB DEFAULT CHARSET=%s;\n' % (
        table, ',\n'.join(lines + MYSQL_KEYS[table]), charset))
    out.raw('/*!40101 SET character_set_client = @saved_cs_client */;\n')


def write_mysql(out, gen, n, charset='utf8mb4', comments=False):
    r = gen.r
    cols = {t: [c[0] for c in TABLES[t]] for t in TABLES}
    out.raw(MYSQL_HEAD.replace('{charset}', charset))
    for table, count in row_counts(n).items():
        mysql_create(out, table, charset, comments)
        out.raw('\n--\n-- Dumping data for table `%s`\n--\n\n' % table)
        out.raw('LOCK TABLES `%s` WRITE;\n' % table)
        out.raw('/*!40000 ALTER TABLE `%s` DISABLE KEYS */;\n' % table)
        left = count
        while left > 0:
            k = min(left, r.randrange(100, 501))
            left -= k
            style = r.random()
            order = list(range(len(cols[table])))
            name = '`%s`' % table
            if table == 'orders' and r.random() < 0.4:
                name = '`shop`.`orders`'
            if style < 0.15:
                # hand-written: explicit column list in another order, spaces,
                # a tuple a line, quotes doubled rather than backslashed
                r.shuffle(order)
                out.raw('INSERT INTO %s (%s) VALUES\n' % (name, ', '.join('`%s`' % cols[table][i] for i in order)))
                sep, inner, esc = ',\n', ', ', esc_mysql_doubled
            elif style < 0.25:
                out.raw('INSERT INTO %s (%s) VALUES ' % (name, ','.join('`%s`' % c for c in cols[table])))
                sep, inner, esc = ',', ',', esc_mysql
            else:
                out.raw('INSERT INTO %s VALUES ' % name)
                sep, inner, esc = ',', ',', esc_mysql
            for j in range(k):
                cells = gen.row(table)
                out.new_row(table, cols[table], cells)
                if j:
                    out.raw(sep)
                out.raw('(')
                for m, i in enumerate(order):
                    if m:
                        out.raw(inner)
                    out.mysql_cell(table + '.' + cols[table][i], cells[i], esc)
                out.raw(')')
            out.raw(';\n')
        out.raw('/*!40000 ALTER TABLE `%s` ENABLE KEYS */;\n' % table)
        out.raw('UNLOCK TABLES;\n')
    out.raw(MYSQL_TAIL)


# ---------------------------------------------------------------- PostgreSQL

PG_HEAD = """--
-- PostgreSQL database dump
--

\\restrict 7mZq2LKj0bXfHc9TtQpA1dVwYe5RrNu3sGiO8kPyB4xCvEn6

-- Dumped from database version 16.10 (Debian 16.10-1.pgdg120+1)
-- Dumped by pg_dump version 16.10 (Debian 16.10-1.pgdg120+1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;
"""
PG_TAIL = """
--
-- PostgreSQL database dump complete
--

\\unrestrict 7mZq2LKj0bXfHc9TtQpA1dVwYe5RrNu3sGiO8kPyB4xCvEn6

"""
PG_PK = {'customers': 'id', 'orders': 'order_id', 'users': 'id'}


def write_pg(out, gen, n):
    r = gen.r
    cols = {t: [c[0] for c in TABLES[t]] for t in TABLES}
    out.raw(PG_HEAD)
    for table in TABLES:
        out.raw('\n--\n-- Name: %s; Type: TABLE; Schema: public; Owner: app\n--\n\n' % table)
        out.raw('CREATE TABLE public.%s (\n%s\n);\n\n\n' % (
            table, ',\n'.join('    %s %s' % (c, pt) for c, _, pt, _ in TABLES[table])))
        out.raw('ALTER TABLE public.%s OWNER TO app;\n' % table)
    for table, count in row_counts(n).items():
        out.raw('\n--\n-- Data for Name: %s; Type: TABLE DATA; Schema: public; Owner: app\n--\n\n' % table)
        names = ', '.join(cols[table])
        if table == 'users':
            # pg_dump --inserts (a row a statement) and --rows-per-insert
            left = count
            while left > 0:
                k = 1 if r.random() < 0.7 else min(left, r.randrange(2, 40))
                k = min(k, left)
                left -= k
                out.raw('INSERT INTO public.%s (%s) VALUES ' % (table, names))
                for j in range(k):
                    cells = gen.row(table)
                    out.new_row(table, cols[table], cells)
                    out.raw(',\n\t(' if j else '(')
                    for m, cell in enumerate(cells):
                        if m:
                            out.raw(', ')
                        out.pg_cell(table + '.' + cols[table][m], cell)
                    out.raw(')')
                out.raw(';\n')
            continue
        copy_rows = count if table == 'orders' else count - count // 10
        out.raw('COPY public.%s (%s) FROM stdin;\n' % (table, names))
        for _ in range(copy_rows):
            cells = gen.row(table)
            out.new_row(table, cols[table], cells)
            for m, cell in enumerate(cells):
                if m:
                    out.raw('\t')
                out.copy_cell(table + '.' + cols[table][m], cell)
            out.raw('\n')
        out.raw('\\.\n\n')
        # the rest of customers as INSERTs, some with E'' strings
        for _ in range(count - copy_rows):
            cells = gen.row(table)
            for cell in cells:
                if isinstance(cell, Str) and r.random() < 0.1 and not cell.intro:
                    cell.intro = 'E'
            out.new_row(table, cols[table], cells)
            out.raw('INSERT INTO public.%s (%s) VALUES (' % (table, names))
            for m, cell in enumerate(cells):
                if m:
                    out.raw(', ')
                out.pg_cell(table + '.' + cols[table][m], cell)
            out.raw(');\n')
    for table in TABLES:
        out.raw('\n--\n-- Name: %s %s_pkey; Type: CONSTRAINT; Schema: public; Owner: app\n--\n\n' % (table, table))
        out.raw('ALTER TABLE ONLY public.%s\n    ADD CONSTRAINT %s_pkey PRIMARY KEY (%s);\n' % (
            table, table, PG_PK[table]))
    out.raw(PG_TAIL)


# ---------------------------------------------------------------- pg_dump with a function

PG_FUNC = """
--
-- Name: audit_users(); Type: FUNCTION; Schema: public; Owner: app
--

CREATE FUNCTION public.audit_users() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- don't log the rows of the test accounts; the audit table keeps ids only
  IF NEW.id < 0 THEN
    RETURN NEW;
  END IF;
  INSERT INTO public.audit_log (user_id, note) VALUES (NEW.id, 'user changed');
  RETURN NEW;
END;
$$;


ALTER FUNCTION public.audit_users() OWNER TO app;
"""


def write_pg_func(out, gen, n):
    """A small pg_dump whose plpgsql function body (dollar-quoted, as pg_dump
    writes it) holds an apostrophe in a comment, semicolons and an INSERT;
    then the users table's rows in a COPY block and two INSERT statements."""
    table = 'users'
    cols = [c[0] for c in TABLES[table]]
    out.raw(PG_HEAD)
    out.raw(PG_FUNC)
    out.raw('\n--\n-- Name: users; Type: TABLE; Schema: public; Owner: app\n--\n\n')
    out.raw('CREATE TABLE public.users (\n%s\n);\n\n\n' % ',\n'.join(
        '    %s %s' % (c, pt) for c, _, pt, _ in TABLES[table]))
    out.raw('ALTER TABLE public.users OWNER TO app;\n')
    out.raw('\n--\n-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: app\n--\n\n')
    out.raw('COPY public.users (%s) FROM stdin;\n' % ', '.join(cols))
    for _ in range(n - 2):
        cells = gen.row(table)
        out.new_row(table, cols, cells)
        for m, cell in enumerate(cells):
            if m:
                out.raw('\t')
            out.copy_cell(table + '.' + cols[m], cell)
        out.raw('\n')
    out.raw('\\.\n\n')
    for _ in range(2):
        cells = gen.row(table)
        out.new_row(table, cols, cells)
        out.raw('INSERT INTO public.users (%s) VALUES (' % ', '.join(cols))
        for m, cell in enumerate(cells):
            if m:
                out.raw(', ')
            out.pg_cell(table + '.' + cols[m], cell)
        out.raw(');\n')
    out.raw(PG_TAIL)


# ---------------------------------------------------------------- long INSERT


def write_long(out, gen, mb):
    """mysqldump of orders with all rows in one INSERT of >= mb MB."""
    r, V = gen.r, gen.V
    table = 'orders'
    cols = [c[0] for c in TABLES[table]]
    out.raw(MYSQL_HEAD.replace('{charset}', 'utf8mb4'))
    mysql_create(out, table, 'utf8mb4', False)
    out.raw('\nLOCK TABLES `orders` WRITE;\n')
    # payloads: a pool of ~1.5 KB texts with escapes, no PII shapes
    words = ['lorem', 'ipsum', 'dolor', '订单', '状态', 'status=ok', "it's", 'C:\\tmp\\', '"q"', 'a\nb', '(x)',
             'y,z', '数据', 'payload', 'v1.2.3', 'abc', '说明', ';']
    pool = []
    for _ in range(64):
        s, ln = [], 0
        while ln < 1500:
            w = r.choice(words)
            s.append(w)
            ln += len(w) + 1
        pool.append(' '.join(s))
    out.raw('INSERT INTO `orders` VALUES ')
    target = mb * 1000000
    j = 0
    while out.pos < target:
        cells = [
            Num(Look(*reversed(V.snowflake()))),
            Str([Plant('bank_card', *V.card('unionpay', 0))]) if r.random() < 0.3 else None,
            Num(V.amount()),
            gen.maybe(0.5, 'ipv4'),
            gen.maybe(0.2, 'imei'),
            Str([Plant('cn_postal_code', *V.postal())]) if r.random() < 0.2 else None,
            Num(Plant('qq_number', *V.qq())) if r.random() < 0.2 else None,
            Str([V.hexstr(20)]),
            Str([V.uuid()]),
            Str([V.version()]),
            Str([r.choice(pool)], '_binary '),
        ]
        out.new_row(table, cols, cells)
        out.raw(',(' if j else '(')
        for m, cell in enumerate(cells):
            if m:
                out.raw(',')
            out.mysql_cell(table + '.' + cols[m], cell)
        out.raw(')')
        out.sync()
        j += 1
    out.raw(';\nUNLOCK TABLES;\n')
    out.raw(MYSQL_TAIL)


# ---------------------------------------------------------------- main


def expected_fields(tables):
    return {'%s.%s' % (t, c[0]): c[3] for t in tables for c in TABLES[t]}


def lookalike_valid(v):
    """Which oracle, if any, accepts the digit string v."""
    n = len(v)
    if n in (15, 18) and dv.ok_ric(v):
        return 'cn.ric'
    if 13 <= n <= 19 and dv.std_luhn.is_valid(v):
        return 'luhn'
    if n == 11 and dv.ok_mobile(v):
        return 'mobile'
    if n == 18 and dv.std_uscc.is_valid(v):
        return 'cn.uscc'
    return None


def self_check(outdir, labels, metas, looks):
    """Every label's bytes are its value; every value passes its oracle;
    every look-alike fails them all."""
    bad = 0
    for v in looks:
        why = lookalike_valid(v)
        if why:
            bad += 1
            if bad < 5:
                print('self-check: a look-alike of %d digits is valid per %s' % (len(v), why))
    by_file = {}
    for x in labels:
        by_file.setdefault(x['file'], []).append(x)
    for fname, xs in by_file.items():
        enc = metas[fname]['encoding']
        enc = 'utf-8' if enc == 'utf-8' else 'gbk'
        with open(os.path.join(outdir, fname), 'rb') as f:
            data = f.read()
        for x in xs:
            if data[x['offset']:x['offset'] + x['length']] != x['value'].encode(enc):
                bad += 1
                if bad < 5:
                    print('self-check: %s record %d %s: bytes differ' % (fname, x['record'], x['field']))
            elif not dv.strict_ok(x['rule'], x['value']):
                bad += 1
                if bad < 5:
                    print('self-check: %s record %d %s: %s fails its oracle' % (
                        fname, x['record'], x['field'], x['rule']))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--rows', type=int, default=20000, help='rows per dump, all tables together')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--long-mb', type=int, default=50, help='size of the single-INSERT dump (0: none)')
    ap.add_argument('--self-check', action='store_true', help='check every label against bytes and oracles')
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    t0 = time.time()
    labels, metas, looks = [], {}, []

    def run(fname, writer, encoding, tables, *args):
        r = random.Random('%d/%s' % (a.seed, fname))
        gen = Gen(r, gbk=encoding == 'gbk')
        out = Out(os.path.join(a.outdir, fname), fname, 'gbk' if encoding == 'gbk' else 'utf-8')
        writer(out, gen, *args)
        out.close()
        labels.extend(out.labels)
        looks.extend(out.looks)
        exp = expected_fields(tables)
        metas[fname] = {'format': 'sql', 'encoding': encoding, 'records': out.record, 'bytes': out.pos,
                        'classification': exp,
                        'fields': {f: out.nonempty.get(f, 0) for f in exp}}

    run('mysql.sql', write_mysql, 'utf-8', list(TABLES), a.rows)
    run('pg.sql', write_pg, 'utf-8', list(TABLES), a.rows)
    run('gbk.sql', write_mysql, 'gbk', list(TABLES), a.rows, 'gbk', True)
    run('pg_func.sql', write_pg_func, 'utf-8', ['users'], max(a.rows // 20, 10))
    if a.long_mb > 0:
        run('long.sql', write_long, 'utf-8', ['orders'], a.long_mb)
    with open(os.path.join(a.outdir, 'labels.jsonl'), 'w', encoding='utf-8') as f:
        for x in labels:
            f.write(json.dumps(x, ensure_ascii=False) + '\n')
    with open(os.path.join(a.outdir, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump({'seed': a.seed, 'rows': a.rows, 'files': metas}, f, ensure_ascii=False, indent=1)
    if a.self_check:
        bad = self_check(a.outdir, labels, metas, looks)
        if bad:
            print('gen_dumps: self-check: %d bad labels' % bad, file=sys.stderr)
            return 1
    print('gen_dumps: %s (%d labels, %.1fs)' % (
        ', '.join('%s %d rows %.1f MB' % (k, m['records'], m['bytes'] / 1e6) for k, m in metas.items()),
        len(labels), time.time() - t0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
