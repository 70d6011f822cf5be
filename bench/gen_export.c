/* gen_export: a seeded generator of realistic exports for piiscan's
 * throughput benchmarks (bench/run.sh). Not part of the scanner: it writes
 * the bytes the scanner is timed on, fast enough (hundreds of MB/s) that a
 * multi-gigabyte corpus costs seconds.
 *
 *     gen_export --kind dense-csv|jsonl|sparse-log|cn-csv|mysql-dump|cn-dump --size 1G [--seed N]
 *                [-o FILE] [--stats]
 *
 * Every planted personal value is valid under the scanner's rules (check
 * characters, calendar dates, allocated prefixes), so each costs the scanner
 * a full validate-attribute-tally pass, as in a real export. The same seed,
 * kind and size always give the same bytes. --stats prints, per rule id,
 * how many values were planted (planted_total), and apart from them how
 * many Chinese names and addresses (names_zh, addresses_zh). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ random */

/* xoshiro256** seeded through splitmix64: fast, and the same stream on
 * every platform. */
struct rng {
	uint64_t s[4];
};

static uint64_t rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* A number in [0, n), n < 2^32 (Lemire's multiply-shift, bias < 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* Whether an event of probability pct/100 happens. */
static int rng_pct(struct rng *r, uint32_t pct)
{
	return rng_below(r, 100) < pct;
}

#define PICK(r, arr) ((arr)[rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* ------------------------------------------------------------ writers */

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* n random decimal digits (n <= 19 per 64-bit draw; longer runs redraw). */
static char *put_digits(char *p, struct rng *r, int n)
{
	while (n > 0) {
		uint64_t x = rng_next(r);
		int k = n < 19 ? n : 19;

		for (int i = 0; i < k; i++) {
			*p++ = (char)('0' + x % 10);
			x /= 10;
		}
		n -= k;
	}
	return p;
}

static char *put_uint(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* v as exactly w digits, zero-padded. */
static char *put_uint_w(char *p, unsigned v, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + w;
}

static char *put_hex(char *p, uint64_t v, int n)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < n; i++) {
		*p++ = hex[v & 15];
		v >>= 4;
	}
	return p;
}

/* The Luhn check digit for the n digits at d. */
static char luhn_check(const char *d, int n)
{
	int sum = 0;

	for (int i = n - 1, dbl = 1; i >= 0; i--, dbl = !dbl) {
		int v = d[i] - '0';

		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* ------------------------------------------------------------ values */

enum kind {
	KIND_CN_RESIDENT_ID,
	KIND_CN_MOBILE,
	KIND_EMAIL,
	KIND_BANK_CARD,
	KIND_IPV4,
	KIND_CN_LANDLINE,
	KIND_CN_USCC,
	KIND_IMEI,
	KIND_N
};

/* The scanner's rule ids, for --stats. */
static const char *const kind_names[KIND_N] = {
	"cn_resident_id", "cn_mobile", "email", "bank_card",
	"ipv4", "cn_landline", "cn_uscc", "imei",
};

static uint64_t planted[KIND_N];

/* County-level division codes (GB/T 2260), a few per province, so that
 * the first digits of ids and credit codes look like a real customer base. */
static const char *const regions[] = {
	"110101", "110105", "110108", "110114", "120101", "120104", "130102",
	"130104", "140105", "150102", "210102", "210202", "220102", "230102",
	"310101", "310104", "310112", "310115", "320102", "320106", "320505",
	"330102", "330106", "330205", "340104", "350203", "350102", "360102",
	"370102", "370202", "410105", "420106", "420111", "430104", "440103",
	"440106", "440304", "440305", "440306", "441900", "450103", "460105",
	"500103", "500106", "510104", "510107", "520102", "530102", "540102",
	"610113", "620102", "630102", "640104", "650102",
};

static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* GB 11643-1999: region, birth date, sequence, MOD 11-2 check character. */
static char *put_resident_id(char *p, struct rng *r)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	char *d = p;
	int y = 1950 + (int)rng_below(r, 57), m = 1 + (int)rng_below(r, 12);
	int days = mdays[m - 1] + (m == 2 && is_leap(y));
	int sum = 0;

	p = put_str(p, PICK(r, regions));
	p = put_uint_w(p, (unsigned)y, 4);
	p = put_uint_w(p, (unsigned)m, 2);
	p = put_uint_w(p, 1 + rng_below(r, (uint32_t)days), 2);
	p = put_digits(p, r, 3);
	for (int i = 0; i < 17; i++)
		sum += (d[i] - '0') * w[i];
	*p++ = check[sum % 11];
	planted[KIND_CN_RESIDENT_ID]++;
	return p;
}

/* 13x, 15[0-35-9], 18x, 17[0135-8], 19[0-35-9], 166: allocated ranges.
 * Not counted: also the local part of some e-mail addresses. */
static char *put_mobile_digits(char *p, struct rng *r)
{
	static const char *const pfx[] = {
		"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
		"150", "151", "152", "153", "155", "156", "157", "158", "159",
		"180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
		"170", "171", "173", "175", "176", "177", "178",
		"190", "191", "192", "193", "195", "196", "197", "198", "199", "166",
	};

	p = put_str(p, PICK(r, pfx));
	return put_digits(p, r, 8);
}

static char *put_mobile(char *p, struct rng *r)
{
	planted[KIND_CN_MOBILE]++;
	return put_mobile_digits(p, r);
}

static const char *const surnames_py[] = {
	"zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou",
	"xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo",
};
static const char *const given_py[] = {
	"wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang",
	"yong", "yan", "jie", "juan", "tao", "ming", "chao", "xia", "ping", "hui",
};

static char *put_email(char *p, struct rng *r)
{
	static const char *const domains[] = {
		"qq.com", "qq.com", "qq.com", "163.com", "163.com", "126.com",
		"sina.com", "gmail.com", "outlook.com", "foxmail.com", "hotmail.com",
		"yeah.net", "aliyun.com", "sohu.com", "139.com",
	};
	uint32_t style = rng_below(r, 10);

	planted[KIND_EMAIL]++;
	if (style < 3) {                        /* a QQ number: 6-10 digits */
		*p++ = (char)('1' + rng_below(r, 9));
		p = put_digits(p, r, 5 + (int)rng_below(r, 5));
		return put_str(p, "@qq.com");
	}
	if (style == 3) {       /* a mobile as the local part: one value */
		p = put_mobile_digits(p, r);
		return put_str(p, "@163.com");
	}
	p = put_str(p, PICK(r, surnames_py));
	if (style < 6)
		*p++ = style == 4 ? '.' : '_';
	p = put_str(p, PICK(r, given_py));
	if (style >= 6)
		p = put_uint(p, 1 + rng_below(r, style == 9 ? 2010 : 99));
	*p++ = '@';
	return put_str(p, PICK(r, domains));
}

/* UnionPay 62 + 14-17 digits, Visa 4 + 15, Mastercard 51-55 + 14, each
 * with its Luhn digit. */
static char *put_bank_card(char *p, struct rng *r)
{
	char *d = p;
	uint32_t net = rng_below(r, 100);
	int len;

	if (net < 70) {
		static const int lens[] = { 16, 16, 16, 16, 16, 16, 19, 19, 19, 17, 18 };

		len = PICK(r, lens);
		p = put_str(p, "62");
	} else if (net < 85) {
		len = 16;
		*p++ = '4';
	} else {
		len = 16;
		*p++ = '5';
		*p++ = (char)('1' + rng_below(r, 5));
	}
	p = put_digits(p, r, len - 1 - (int)(p - d));
	*p = luhn_check(d, len - 1);
	planted[KIND_BANK_CARD]++;
	return p + 1;
}

static char *put_ipv4(char *p, struct rng *r)
{
	static const unsigned first[] = {
		1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 106, 110, 111, 112,
		113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125,
		175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221, 222, 223,
	};
	uint32_t style = rng_below(r, 10);

	if (style == 0) {                       /* behind NAT, as some apps log */
		p = put_str(p, "10.");
		p = put_uint(p, rng_below(r, 256));
	} else if (style == 1) {
		p = put_str(p, "192.168");
	} else {
		p = put_uint(p, PICK(r, first));
		*p++ = '.';
		p = put_uint(p, rng_below(r, 256));
	}
	*p++ = '.';
	p = put_uint(p, rng_below(r, 256));
	*p++ = '.';
	p = put_uint(p, 1 + rng_below(r, 254));
	planted[KIND_IPV4]++;
	return p;
}

/* 0AA-BBBBBBBB (Beijing, Shanghai, ... 8 digits) or 0AAA-BBBBBBB(B). */
static char *put_landline(char *p, struct rng *r)
{
	static const char *const area[] = {
		"010", "020", "021", "022", "023", "024", "025", "027", "028", "029",
		"0755", "0571", "0512", "0574", "0591", "0592", "0731", "0371",
		"0531", "0532", "0871", "0851", "0451", "0431", "0311", "0351",
		"0471", "0551", "0791", "0771", "0898", "0931", "0951", "0971",
		"0991", "0769", "0757", "0760",
	};
	const char *a = PICK(r, area);

	p = put_str(p, a);
	*p++ = '-';
	*p++ = (char)('2' + rng_below(r, 7));
	p = put_digits(p, r, strlen(a) == 3 || rng_pct(r, 40) ? 7 : 6);
	planted[KIND_CN_LANDLINE]++;
	return p;
}

/* GB 32100-2015: authority and type, division, organisation code, MOD 31
 * check character. */
static char *put_uscc(char *p, struct rng *r)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	static const char *const types[] = { "91", "91", "91", "91", "91", "91", "92", "92", "12", "52" };
	char *c = p;
	int sum = 0;

	p = put_str(p, PICK(r, types));
	p = put_str(p, PICK(r, regions));
	if (rng_pct(r, 60)) {                   /* post-2015 codes: MA + 7 */
		p = put_str(p, "MA");
		for (int i = 0; i < 7; i++)
			*p++ = alphabet[rng_below(r, 31)];
	} else {                /* the old 9-character organisation code */
		p = put_digits(p, r, 8);
		*p++ = rng_pct(r, 90) ? (char)('0' + rng_below(r, 10)) : 'X';
	}
	for (int i = 0; i < 17; i++) {
		const char *v = strchr(alphabet, c[i]);

		sum += (int)(v - alphabet) * w[i];
	}
	*p++ = alphabet[(31 - sum % 31) % 31];
	planted[KIND_CN_USCC]++;
	return p;
}

/* 8-digit TAC (86: China-made handsets; 01: the rest), 6-digit serial,
 * Luhn digit. */
static char *put_imei(char *p, struct rng *r)
{
	char *d = p;

	p = put_str(p, rng_pct(r, 85) ? "86" : "01");
	p = put_digits(p, r, 12);
	*p = luhn_check(d, 14);
	planted[KIND_IMEI]++;
	return p + 1;
}

/* ------------------------------------------------------------ filler */

static const char *const surnames_zh[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
	"徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
};
static const char *const given_zh[] = {
	"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
	"洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
};
static const char *const cities_zh[] = {
	"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆",
};
static const char *const statuses[] = {
	"paid", "paid", "paid", "shipped", "shipped", "delivered", "delivered",
	"delivered", "refunded", "cancelled", "pending",
};

/* A 19-digit snowflake-style order id: time-ordered, never a valid card
 * (19-digit 2-series cards do not exist). */
static char *put_order_id(char *p, struct rng *r, uint64_t ts_ms)
{
	p = put_uint(p, 2000000000000000000ULL + (ts_ms - 1600000000000ULL) * 1000000ULL);
	p -= 6;
	return put_digits(p, r, 6);
}

static char *put_amount(char *p, struct rng *r)
{
	uint32_t cents = 100 + rng_below(r, rng_pct(r, 90) ? 99900 : 999900);

	p = put_uint(p, cents / 100);
	*p++ = '.';
	return put_uint_w(p, cents % 100, 2);
}

static char *put_sku(char *p, struct rng *r)
{
	p = put_str(p, "SKU");
	return put_uint_w(p, rng_below(r, 100000), 5);
}

/* Chinese names are planted too (JSON Lines), but counted apart: whether
 * one is found depends on a name rule without a validator. */
static uint64_t planted_names;

static char *put_name_zh(char *p, struct rng *r)
{
	planted_names++;
	p = put_str(p, PICK(r, surnames_zh));
	p = put_str(p, PICK(r, given_zh));
	if (rng_pct(r, 40))
		p = put_str(p, PICK(r, given_zh));
	return p;
}

/* Mainland postal addresses: province (or a municipality), city,
 * district, road and number, and mostly a building, unit and room; some
 * are rural (county, town, village). Counted apart, as names are: the
 * address rule judges whole values in fields named for addresses. */
static uint64_t planted_addresses;

static const char *const regions_zh[][3] = {
	{ "广东省", "深圳市", "南山区" }, { "广东省", "广州市", "天河区" }, { "浙江省", "杭州市", "西湖区" },
	{ "江苏省", "南京市", "鼓楼区" }, { "四川省", "成都市", "武侯区" }, { "湖北省", "武汉市", "洪山区" },
	{ "陕西省", "西安市", "雁塔区" }, { "山东省", "青岛市", "市南区" }, { "福建省", "厦门市", "思明区" },
	{ "河南省", "郑州市", "金水区" }, { "", "北京市", "海淀区" }, { "", "上海市", "浦东新区" },
	{ "", "重庆市", "渝中区" }, { "", "天津市", "和平区" },
};
static const char *const roads_zh[] = {
	"中山路", "人民路", "解放路", "建设路", "和平路", "文三路", "科技园南路", "长江路",
	"黄河路", "新华街", "学府路", "金融街", "中关村大街", "滨江大道",
};
static const char *const estates_zh[] = {
	"阳光花园", "锦绣小区", "翠苑", "金地名门", "万科城", "碧桂园", "幸福里", "世纪大厦",
};
static const char *const counties_zh[][3] = {
	{ "河北省", "保定市", "涞水县" }, { "湖南省", "邵阳市", "隆回县" }, { "云南省", "大理白族自治州", "宾川县" },
	{ "甘肃省", "天水市", "秦安县" },
};
static const char *const towns_zh[] = { "城关镇", "新庄镇", "石桥乡", "桃源镇" };
static const char *const villages_zh[] = { "王家村", "李庄村", "河西村", "东坡村" };

static char *put_address_zh(char *p, struct rng *r)
{
	planted_addresses++;
	if (rng_pct(r, 12)) {
		const char *const *c = counties_zh[rng_below(r, sizeof counties_zh / sizeof *counties_zh)];
		p = put_str(p, c[0]);
		p = put_str(p, c[1]);
		p = put_str(p, c[2]);
		p = put_str(p, PICK(r, towns_zh));
		p = put_str(p, PICK(r, villages_zh));
		p = put_uint(p, 1 + rng_below(r, 12));
		return put_str(p, "组");
	}
	const char *const *c = regions_zh[rng_below(r, sizeof regions_zh / sizeof *regions_zh)];
	p = put_str(p, c[0]);
	p = put_str(p, c[1]);
	p = put_str(p, c[2]);
	p = put_str(p, PICK(r, roads_zh));
	p = put_uint(p, 1 + rng_below(r, 999));
	p = put_str(p, "号");
	switch (rng_below(r, 4)) {
	case 0:
		return p;
	case 1:
		p = put_str(p, PICK(r, estates_zh));
		p = put_uint(p, 1 + rng_below(r, 30));
		p = put_str(p, "栋");
		p = put_uint(p, 1 + rng_below(r, 4));
		p = put_str(p, "单元");
		break;
	default:
		p = put_uint(p, 1 + rng_below(r, 30));
		p = put_str(p, "幢");
		break;
	}
	p = put_uint(p, 1 + rng_below(r, 32));
	p = put_uint_w(p, 1 + rng_below(r, 8), 2);
	return put_str(p, "室");
}

/* ------------------------------------------------------------ records */

/* The record generators write one whole line at p (at most REC_MAX bytes)
 * and return its end. */
#define REC_MAX 2048

struct gen {
	struct rng r;
	uint64_t ts_ms;         /* the clock the records advance */
	size_t stmt_len;        /* mysql-dump: bytes of the INSERT statement open, 0: none */
};

static const char csv_header[] =
	"order_id,created_at,id_card,mobile,email,bank_card,ip,tel,uscc,imei,"
	"amount,sku,status\n";

/* About six personal values a row, ~140 bytes: an orders/customers export. */
static char *gen_csv_row(struct gen *g, char *p)
{
	struct rng *r = &g->r;

	g->ts_ms += rng_below(r, 400);
	p = put_order_id(p, r, g->ts_ms);
	*p++ = ',';
	p = put_uint(p, g->ts_ms);
	*p++ = ',';
	p = put_resident_id(p, r);
	*p++ = ',';
	p = put_mobile(p, r);
	*p++ = ',';
	p = put_email(p, r);
	*p++ = ',';
	if (rng_pct(r, 75))
		p = put_bank_card(p, r);
	*p++ = ',';
	p = put_ipv4(p, r);
	*p++ = ',';
	if (rng_pct(r, 25))
		p = put_landline(p, r);
	*p++ = ',';
	if (rng_pct(r, 15))
		p = put_uscc(p, r);
	*p++ = ',';
	if (rng_pct(r, 40))
		p = put_imei(p, r);
	*p++ = ',';
	p = put_amount(p, r);
	*p++ = ',';
	p = put_sku(p, r);
	*p++ = ',';
	p = put_str(p, PICK(r, statuses));
	*p++ = '\n';
	return p;
}

/* The same orders as a mysqldump writes them (mysql-dump): the table's
 * definition, then extended INSERT statements of about 1 MB (mysqldump's
 * default net_buffer_length), one line each, ~170 bytes a row. */
static const char mysql_header[] =
	"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n"
	"--\n-- Host: localhost    Database: shop\n"
	"-- ------------------------------------------------------\n"
	"/*!40101 SET NAMES utf8mb4 */;\n\n"
	"DROP TABLE IF EXISTS `orders`;\n"
	"CREATE TABLE `orders` (\n"
	"  `order_id` bigint NOT NULL,\n"
	"  `created_at` bigint NOT NULL,\n"
	"  `id_card` char(18) DEFAULT NULL,\n"
	"  `mobile` varchar(20) DEFAULT NULL,\n"
	"  `email` varchar(64) DEFAULT NULL,\n"
	"  `bank_card` varchar(19) DEFAULT NULL,\n"
	"  `ip` varchar(15) DEFAULT NULL,\n"
	"  `tel` varchar(16) DEFAULT NULL,\n"
	"  `uscc` char(18) DEFAULT NULL,\n"
	"  `imei` char(15) DEFAULT NULL,\n"
	"  `amount` decimal(10,2) NOT NULL,\n"
	"  `sku` varchar(16) NOT NULL,\n"
	"  `status` varchar(16) NOT NULL,\n"
	"  PRIMARY KEY (`order_id`)\n"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n"
	"LOCK TABLES `orders` WRITE;\n";
static const char mysql_trailer[] = ";\nUNLOCK TABLES;\n";
#define STMT_MAX (1u << 20)

/* A string value written as it is: put's text needs no escape. */
static char *put_quoted(char *p, char *(*put)(char *, struct rng *), struct rng *r)
{
	*p++ = '\'';
	p = put(p, r);
	*p++ = '\'';
	return p;
}

/* A quoted string value pct% of the time, else NULL. */
static char *sql_quote(char *p, char *(*put)(char *, struct rng *), struct rng *r, uint32_t pct)
{
	if (!rng_pct(r, pct))
		return put_str(p, "NULL");
	return put_quoted(p, put, r);
}

/* A row of an extended INSERT begins with the statement's head when none
 * is open, else with the comma between rows... */
static char *row_open(const struct gen *g, char *p, const char *head)
{
	return put_str(p, g->stmt_len ? "," : head);
}

/* ...and the row that began at start closes the statement at ~1 MB. */
static char *row_close(struct gen *g, char *p, const char *start)
{
	g->stmt_len += (size_t)(p - start);
	if (g->stmt_len >= STMT_MAX) {
		p = put_str(p, ";\n");
		g->stmt_len = 0;
	}
	return p;
}

static char *gen_mysql_row(struct gen *g, char *p)
{
	struct rng *r = &g->r;
	char *start = p;

	p = row_open(g, p, "INSERT INTO `orders` VALUES ");
	g->ts_ms += rng_below(r, 400);
	*p++ = '(';
	p = put_order_id(p, r, g->ts_ms);
	*p++ = ',';
	p = put_uint(p, g->ts_ms);
	*p++ = ',';
	p = sql_quote(p, put_resident_id, r, 100);
	*p++ = ',';
	p = sql_quote(p, put_mobile, r, 100);
	*p++ = ',';
	p = sql_quote(p, put_email, r, 100);
	*p++ = ',';
	p = sql_quote(p, put_bank_card, r, 75);
	*p++ = ',';
	p = sql_quote(p, put_ipv4, r, 100);
	*p++ = ',';
	p = sql_quote(p, put_landline, r, 25);
	*p++ = ',';
	p = sql_quote(p, put_uscc, r, 15);
	*p++ = ',';
	p = sql_quote(p, put_imei, r, 40);
	*p++ = ',';
	p = put_amount(p, r);
	*p++ = ',';
	*p++ = '\'';
	p = put_sku(p, r);
	*p++ = '\'';
	*p++ = ',';
	*p++ = '\'';
	p = put_str(p, PICK(r, statuses));
	*p++ = '\'';
	*p++ = ')';
	return row_close(g, p, start);
}

/* What ends the file: the statement left open, and the table's lock. */
static const char *mysql_end(const struct gen *g)
{
	return g->stmt_len ? mysql_trailer : mysql_trailer + 2;
}

/* The same kinds of values in nested objects, ~300 bytes a line. */
static char *gen_jsonl_row(struct gen *g, char *p)
{
	static const char *const wallets[] = { "alipay", "wechat" };
	struct rng *r = &g->r;

	g->ts_ms += rng_below(r, 400);
	p = put_str(p, "{\"id\":\"");
	p = put_order_id(p, r, g->ts_ms);
	p = put_str(p, "\",\"ts\":");
	p = put_uint(p, g->ts_ms);
	p = put_str(p, ",\"status\":\"");
	p = put_str(p, PICK(r, statuses));
	p = put_str(p, "\",\"buyer\":{\"name\":\"");
	p = put_name_zh(p, r);
	p = put_str(p, "\",\"id_card\":\"");
	p = put_resident_id(p, r);
	if (rng_pct(r, 10)) {                   /* a number, as some ORMs emit */
		p = put_str(p, "\",\"mobile\":");
		p = put_mobile(p, r);
		p = put_str(p, ",\"email\":\"");
	} else {
		p = put_str(p, "\",\"mobile\":\"");
		p = put_mobile(p, r);
		p = put_str(p, "\",\"email\":\"");
	}
	p = put_email(p, r);
	if (rng_pct(r, 75)) {
		p = put_str(p, "\"},\"pay\":{\"card_no\":\"");
		p = put_bank_card(p, r);
	} else {
		p = put_str(p, "\"},\"pay\":{\"method\":\"");
		p = put_str(p, PICK(r, wallets));
	}
	p = put_str(p, "\",\"amount\":");
	p = put_amount(p, r);
	p = put_str(p, "},\"client\":{\"ip\":\"");
	p = put_ipv4(p, r);
	if (rng_pct(r, 40)) {
		p = put_str(p, "\",\"imei\":\"");
		p = put_imei(p, r);
	}
	p = put_str(p, "\"},\"ship\":{\"city\":\"");
	p = put_str(p, PICK(r, cities_zh));
	if (rng_pct(r, 25)) {
		p = put_str(p, "\",\"tel\":\"");
		p = put_landline(p, r);
	}
	if (rng_pct(r, 15)) {
		p = put_str(p, "\"},\"invoice\":{\"tax_id\":\"");
		p = put_uscc(p, r);
	}
	p = put_str(p, "\"},\"items\":[{\"sku\":\"");
	p = put_sku(p, r);
	p = put_str(p, "\",\"qty\":");
	p = put_uint(p, 1 + rng_below(r, 5));
	if (rng_pct(r, 30)) {
		p = put_str(p, "},{\"sku\":\"");
		p = put_sku(p, r);
		p = put_str(p, "\",\"qty\":");
		p = put_uint(p, 1 + rng_below(r, 3));
	}
	return put_str(p, "}]}\n");
}

/* The civil date of a day count since 1970-01-01 (Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

/* "2024-03-15 10:22:31" in local time (UTC+8). */
static char *put_datetime(char *p, uint64_t ts_ms)
{
	uint64_t s = ts_ms / 1000 + 8 * 3600;
	unsigned sod = (unsigned)(s % 86400), m, d;
	int y;

	civil_from_days((int64_t)(s / 86400), &y, &m, &d);
	p = put_uint_w(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_uint_w(p, m, 2);
	*p++ = '-';
	p = put_uint_w(p, d, 2);
	*p++ = ' ';
	p = put_uint_w(p, sod / 3600, 2);
	*p++ = ':';
	p = put_uint_w(p, sod / 60 % 60, 2);
	*p++ = ':';
	return put_uint_w(p, sod % 60, 2);
}

/* "2024-03-15 10:22:31.482 ". */
static char *put_log_time(char *p, uint64_t ts_ms)
{
	p = put_datetime(p, ts_ms);
	*p++ = '.';
	p = put_uint_w(p, (unsigned)(ts_ms % 1000), 3);
	*p++ = ' ';
	return p;
}

static char *put_http_thread(char *p, struct rng *r)
{
	p = put_str(p, "[http-nio-8080-exec-");
	p = put_uint(p, 1 + rng_below(r, 200));
	return put_str(p, "] ");
}

static char *put_trace(char *p, struct rng *r)
{
	p = put_str(p, " traceId=");
	return put_hex(p, rng_next(r), 16);
}

/* One personal value in a log line: the ways applications leak them. */
static char *gen_log_pii(struct rng *r, char *p)
{
	switch (rng_below(r, 8)) {
	case 0:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.user.service.LoginService - sms code sent mobile=");
		p = put_mobile(p, r);
		p = put_str(p, " channel=aliyun-sms");
		break;
	case 1:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.user.service.LoginService - login ok account=");
		p = put_email(p, r);
		p = put_str(p, " method=password");
		break;
	case 2:
		p = put_str(p, "WARN  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.risk.filter.RateLimitFilter - too many requests client_ip=");
		p = put_ipv4(p, r);
		p = put_str(p, " rule=R");
		p = put_uint_w(p, rng_below(r, 1000), 3);
		break;
	case 3:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.user.service.KycService - realname verified id_card=");
		p = put_resident_id(p, r);
		break;
	case 4:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.pay.service.CardService - card bound card_no=");
		p = put_bank_card(p, r);
		p = put_str(p, " bank=ICBC");
		break;
	case 5:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.device.DeviceService - device registered imei=");
		p = put_imei(p, r);
		p = put_str(p, " os=android");
		break;
	case 6:
		p = put_str(p, "INFO  [pool-2-thread-");
		p = put_uint(p, 1 + rng_below(r, 16));
		p = put_str(p, "] c.s.crm.service.ContactService - contact updated tel=");
		p = put_landline(p, r);
		break;
	default:
		p = put_str(p, "INFO  [pool-2-thread-");
		p = put_uint(p, 1 + rng_below(r, 16));
		p = put_str(p, "] c.s.invoice.InvoiceService - invoice issued tax_id=");
		p = put_uscc(p, r);
		p = put_str(p, " amount=");
		p = put_amount(p, r);
		break;
	}
	return put_trace(p, r);
}

/* Application log lines without personal data: request ids, URLs,
 * durations, counters. No decimal number here runs to 11 digits, but a hex
 * trace id now and then holds a digit run shaped like a mobile or a card
 * number (about 1 in 3000), as in real logs; the scanner reports some. */
static char *gen_log_plain(struct rng *r, char *p)
{
	switch (rng_below(r, 8)) {
	case 0:
	case 1:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.order.web.OrderController - GET /api/v2/orders/");
		p = put_uint(p, 1000000 + rng_below(r, 9000000));
		p = put_str(p, "?page=");
		p = put_uint(p, 1 + rng_below(r, 20));
		p = put_str(p, " status=200 took=");
		p = put_uint(p, 1 + rng_below(r, 80));
		p = put_str(p, "ms");
		return put_trace(p, r);
	case 2:
		p = put_str(p, "INFO  ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.cart.web.CartController - POST /api/v2/cart/items sku=");
		p = put_sku(p, r);
		p = put_str(p, " qty=");
		p = put_uint(p, 1 + rng_below(r, 5));
		p = put_str(p, " status=201 took=");
		p = put_uint(p, 2 + rng_below(r, 120));
		p = put_str(p, "ms");
		return put_trace(p, r);
	case 3:
		p = put_str(p, "DEBUG [pool-4-thread-");
		p = put_uint(p, 1 + rng_below(r, 32));
		p = put_str(p, "] c.s.cache.RedisClient - HGETALL cart:");
		p = put_uint(p, 100000 + rng_below(r, 900000));
		p = put_str(p, rng_pct(r, 90) ? " hit=true took=" : " hit=false took=");
		p = put_uint(p, rng_below(r, 5));
		return put_str(p, "ms");
	case 4:
		p = put_str(p, "WARN  [pool-4-thread-");
		p = put_uint(p, 1 + rng_below(r, 32));
		p = put_str(p, "] c.s.pay.client.PayGateway - upstream slow url=https://pay-gw.internal/v1/charge took=");
		p = put_uint(p, 500 + rng_below(r, 3000));
		p = put_str(p, "ms retry=");
		return put_uint(p, rng_below(r, 3));
	case 5:
		p = put_str(p, "INFO  [scheduling-1] c.s.settle.job.SettleJob - batch ");
		p = put_uint(p, rng_below(r, 100000));
		p = put_str(p, " settled ");
		p = put_uint(p, 1 + rng_below(r, 500));
		p = put_str(p, " orders in ");
		p = put_uint(p, 10 + rng_below(r, 2000));
		return put_str(p, "ms");
	case 6:
		p = put_str(p, "ERROR ");
		p = put_http_thread(p, r);
		p = put_str(p, "c.s.order.service.StockService - stock check failed sku=");
		p = put_sku(p, r);
		p = put_str(p, " warehouse=WH");
		p = put_uint_w(p, rng_below(r, 40), 2);
		p = put_str(p, " reason=insufficient");
		return put_trace(p, r);
	default:
		p = put_str(p, "INFO  [kafka-consumer-");
		p = put_uint(p, rng_below(r, 8));
		p = put_str(p, "] c.s.event.OrderEventListener - consumed topic=order-events partition=");
		p = put_uint(p, rng_below(r, 24));
		p = put_str(p, " offset=");
		p = put_uint(p, rng_below(r, 900000000));
		p = put_str(p, " lag=");
		return put_uint(p, rng_below(r, 50));
	}
}

/* Free-text application log; about one line in twenty has one personal
 * value. */
static char *gen_log_row(struct gen *g, char *p)
{
	struct rng *r = &g->r;

	g->ts_ms += rng_below(r, 20);
	p = put_log_time(p, g->ts_ms);
	p = rng_below(r, 20) == 0 ? gen_log_pii(r, p) : gen_log_plain(r, p);
	*p++ = '\n';
	return p;
}

/* A customer's level and a remark that holds no one's data (cn-csv,
 * cn-dump). */
static const char *const cn_levels[] = { "普通会员", "普通会员", "银卡会员", "金卡会员", "钻石会员" };
static const char *const cn_notes[] = {
	"", "", "请在工作日送货", "放快递柜", "周末不在家，请联系物业", "老客户，优先发货",
	"发票抬头：个人", "易碎品，轻拿轻放",
};

static const char cn_csv_header[] =
	"customer_id,name,mobile,id_card,address,receiver,receiver_mobile,created_at,level,note\n";

/* A customer and shipping table in Chinese, ~190 bytes a row: a name, an
 * address and a mobile number in every row, most with an ID number and a
 * receiver, and a remark that holds no one's data. */
static char *gen_cn_csv_row(struct gen *g, char *p)
{
	struct rng *r = &g->r;

	g->ts_ms += rng_below(r, 4000);
	p = put_uint(p, 10000000 + rng_below(r, 90000000));
	*p++ = ',';
	p = put_name_zh(p, r);
	*p++ = ',';
	p = put_mobile(p, r);
	*p++ = ',';
	if (rng_pct(r, 70))
		p = put_resident_id(p, r);
	*p++ = ',';
	p = put_address_zh(p, r);
	*p++ = ',';
	if (rng_pct(r, 50)) {
		p = put_name_zh(p, r);
		*p++ = ',';
		p = put_mobile(p, r);
	} else {
		*p++ = ',';
	}
	*p++ = ',';
	p = put_datetime(p, g->ts_ms);
	*p++ = ',';
	p = put_str(p, PICK(r, cn_levels));
	*p++ = ',';
	p = put_str(p, PICK(r, cn_notes));
	*p++ = '\n';
	return p;
}

/* The same customers as a mysqldump writes them (cn-dump): for the GBK
 * copy bench/run.sh times, the rows a reader must decode before it can
 * frame them. */
static const char cn_dump_header[] =
	"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n"
	"--\n-- Host: localhost    Database: crm\n"
	"-- ------------------------------------------------------\n"
	"/*!40101 SET NAMES utf8mb4 */;\n\n"
	"DROP TABLE IF EXISTS `customers`;\n"
	"CREATE TABLE `customers` (\n"
	"  `customer_id` int NOT NULL,\n"
	"  `name` varchar(32) NOT NULL,\n"
	"  `mobile` varchar(20) NOT NULL,\n"
	"  `id_card` char(18) DEFAULT NULL,\n"
	"  `address` varchar(128) NOT NULL,\n"
	"  `receiver` varchar(32) DEFAULT NULL,\n"
	"  `receiver_mobile` varchar(20) DEFAULT NULL,\n"
	"  `created_at` datetime NOT NULL,\n"
	"  `level` varchar(16) NOT NULL,\n"
	"  `note` varchar(255) NOT NULL,\n"
	"  PRIMARY KEY (`customer_id`)\n"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n"
	"LOCK TABLES `customers` WRITE;\n";

static char *gen_cn_dump_row(struct gen *g, char *p)
{
	struct rng *r = &g->r;
	char *start = p;

	p = row_open(g, p, "INSERT INTO `customers` VALUES ");
	g->ts_ms += rng_below(r, 4000);
	*p++ = '(';
	p = put_uint(p, 10000000 + rng_below(r, 90000000));
	*p++ = ',';
	p = put_quoted(p, put_name_zh, r);
	*p++ = ',';
	p = put_quoted(p, put_mobile, r);
	*p++ = ',';
	p = sql_quote(p, put_resident_id, r, 70);
	*p++ = ',';
	p = put_quoted(p, put_address_zh, r);
	*p++ = ',';
	if (rng_pct(r, 50)) {
		p = put_quoted(p, put_name_zh, r);
		*p++ = ',';
		p = put_quoted(p, put_mobile, r);
	} else {
		p = put_str(p, "NULL,NULL");
	}
	*p++ = ',';
	*p++ = '\'';
	p = put_datetime(p, g->ts_ms);
	*p++ = '\'';
	*p++ = ',';
	*p++ = '\'';
	p = put_str(p, PICK(r, cn_levels));
	*p++ = '\'';
	*p++ = ',';
	*p++ = '\'';
	p = put_str(p, PICK(r, cn_notes));
	*p++ = '\'';
	*p++ = ')';
	return row_close(g, p, start);
}

/* ------------------------------------------------------------ main */

struct kind_desc {
	const char *name;
	const char *header;     /* written once at the top, or NULL */
	char *(*row)(struct gen *g, char *p);
	const char *(*end)(const struct gen *g);   /* written at the bottom, or NULL */
	size_t end_max;         /* the most end writes: kept free of rows */
};

static const struct kind_desc kinds[] = {
	{ "dense-csv", csv_header, gen_csv_row, NULL, 0 },
	{ "jsonl", NULL, gen_jsonl_row, NULL, 0 },
	{ "sparse-log", NULL, gen_log_row, NULL, 0 },
	{ "cn-csv", cn_csv_header, gen_cn_csv_row, NULL, 0 },
	/* new kinds last: the others' seeds stay */
	{ "mysql-dump", mysql_header, gen_mysql_row, mysql_end, sizeof mysql_trailer - 1 },
	{ "cn-dump", cn_dump_header, gen_cn_dump_row, mysql_end, sizeof mysql_trailer - 1 },
};

/* "1G", "256M", "64k", "1000": bytes, binary suffixes. 0 on error. */
static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	default: break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	return *end ? 0 : v;
}

static void usage(FILE *fp)
{
	fputs("usage: gen_export --kind dense-csv|jsonl|sparse-log|cn-csv|mysql-dump|cn-dump --size SIZE [--seed N]\n"
	      "                  [-o FILE] [--stats]\n"
	      "Writes a seeded synthetic export of at most SIZE bytes (whole lines;\n"
	      "K/M/G/T are binary) to FILE or stdout. --stats prints the planted\n"
	      "values per rule as JSON on stderr.\n", fp);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "gen_export: %s '%s'\nTry 'gen_export --help'\n", msg, arg);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct kind_desc *kd = NULL;
	const char *out_path = NULL;
	uint64_t size = 0, seed = 1, written = 0, records = 0;
	int stats = 0, c;
	struct gen g;
	FILE *fp = stdout;
	size_t cap = 4u << 20, len = 0;
	char *buf;

	while ((c = getopt_long(argc, argv, "k:s:S:o:th", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
				if (strcmp(optarg, kinds[i].name) == 0)
					kd = &kinds[i];
			if (!kd)
				return usage_error("unknown kind", optarg);
			break;
		case 's':
			if (!(size = parse_size(optarg)))
				return usage_error("bad size", optarg);
			break;
		case 'S': {
			char *end;

			seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg)
				return usage_error("bad seed", optarg);
			break;
		}
		case 'o':
			out_path = optarg;
			break;
		case 't':
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("Try 'gen_export --help'\n", stderr);
			return 2;
		}
	}
	if (!kd || !size || optind != argc) {
		fputs("gen_export: --kind and --size are required\nTry 'gen_export --help'\n", stderr);
		return 2;
	}
	if (out_path && !(fp = fopen(out_path, "wb"))) {
		fprintf(stderr, "gen_export: cannot open '%s': %s\n", out_path, strerror(errno));
		return 2;
	}
	if (!(buf = malloc(cap))) {
		fputs("gen_export: out of memory\n", stderr);
		return 2;
	}
	/* The kind is mixed into the seed so that the three corpora of one
	 * seed are not the same value stream in three shapes. */
	rng_init(&g.r, seed * 0x100000001b3ULL + (uint64_t)(kd - kinds));
	g.ts_ms = 1700000000000ULL + rng_below(&g.r, 1u << 30);

	if (kd->header && strlen(kd->header) <= size) {
		len = strlen(kd->header);
		memcpy(buf, kd->header, len);
		written = len;
	}
	for (;;) {
		uint64_t before[KIND_N], names_before = planted_names, addresses_before = planted_addresses;
		struct gen g_before = g;
		char *end;
		size_t n;

		memcpy(before, planted, sizeof before);
		end = kd->row(&g, buf + len);
		n = (size_t)(end - (buf + len));
		if (written + n + kd->end_max > size) {
			memcpy(planted, before, sizeof before);  /* not written */
			planted_names = names_before;
			planted_addresses = addresses_before;
			g = g_before;
			break;
		}
		written += n;
		len += n;
		records++;
		if (cap - len < REC_MAX) {
			if (fwrite(buf, 1, len, fp) != len)
				break;
			len = 0;
		}
	}
	if (kd->end && records) {
		const char *e = kd->end(&g);
		memcpy(buf + len, e, strlen(e));
		len += strlen(e);
		written += strlen(e);
	}
	if ((len && fwrite(buf, 1, len, fp) != len) || fflush(fp) != 0 ||
	    (out_path && fclose(fp) != 0)) {
		fprintf(stderr, "gen_export: cannot write '%s': %s\n",
			out_path ? out_path : "-", strerror(errno));
		return 2;
	}
	free(buf);
	if (stats) {
		uint64_t total = 0;

		fprintf(stderr, "{\"kind\":\"%s\",\"seed\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"records\":%" PRIu64 ",\"planted\":{", kd->name, seed, written, records);
		for (int k = 0; k < KIND_N; k++) {
			fprintf(stderr, "%s\"%s\":%" PRIu64, k ? "," : "", kind_names[k], planted[k]);
			total += planted[k];
		}
		fprintf(stderr, "},\"planted_total\":%" PRIu64 ",\"names_zh\":%" PRIu64 ",\"addresses_zh\":%" PRIu64 "}\n",
			total, planted_names, planted_addresses);
	}
	return 0;
}
