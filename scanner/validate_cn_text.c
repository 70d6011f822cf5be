/* Validators for kinds that no pattern finds alone and that are judged on
 * a whole field value, only in fields whose name says what they hold:
 * Chinese personal names (a common surname and one or two given
 * characters) and postal addresses (administrative and street tokens). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "validate_impl.h"

/* Decode one UTF-8 code point at s[*i], advancing *i; -1 if invalid. */
static long next_cp(const char *s, size_t len, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[*i];
	size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
	if (!n || *i + n > len)
		return -1;
	long cp = n == 1 ? c : c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
	for (size_t k = 1; k < n; k++) {
		if ((u[*i + k] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (u[*i + k] & 0x3F);
	}
	*i += n;
	return cp;
}

static int is_han(long cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

/* The most common single-character surnames (covering the great majority
 * of the population, per the Ministry of Public Security's surname
 * statistics), and the compound surnames still in use. */
static const char single_surnames[] =
	"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
	"姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
	"常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
	"裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
	"戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
	"苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
	"廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
	"鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由";

static const char *const compound_surnames[] = {
	"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
	"夏侯", "轩辕", "令狐", "端木", "南宫", "独孤", "西门", "呼延", "万俟", "澹台", "公冶", "太史",
};

/* The single surnames as a bitmap over the CJK blocks (U+3400..U+9FFF),
 * and the compound ones as pairs of characters, made once: a name's first
 * characters are looked up, not compared with each surname's bytes in
 * turn (a memcmp each: 2.6% of a JSON Lines scan). */
#define HAN_LO 0x3400
#define HAN_HI 0x9FFF
#define NCOMPOUND (sizeof compound_surnames / sizeof *compound_surnames)
static uint64_t surname_bits[(HAN_HI - HAN_LO) / 64 + 1];
static long compound_cps[NCOMPOUND][2];   /* the compound surnames' two characters */
static pthread_once_t surname_once = PTHREAD_ONCE_INIT;

static void surname_init(void)
{
	size_t i = 0, len = sizeof single_surnames - 1;
	while (i < len) {
		long cp = next_cp(single_surnames, len, &i);
		if (cp >= HAN_LO && cp <= HAN_HI)
			surname_bits[(cp - HAN_LO) / 64] |= 1ULL << ((cp - HAN_LO) % 64);
	}
	for (size_t k = 0; k < NCOMPOUND; k++) {
		size_t j = 0, cl = strlen(compound_surnames[k]);
		compound_cps[k][0] = next_cp(compound_surnames[k], cl, &j);
		compound_cps[k][1] = next_cp(compound_surnames[k], cl, &j);
	}
}

static int is_single_surname(long cp)
{
	pthread_once(&surname_once, surname_init);
	return cp >= HAN_LO && cp <= HAN_HI && (surname_bits[(cp - HAN_LO) / 64] >> ((cp - HAN_LO) % 64) & 1);
}

static int is_compound_surname(long first, long second)
{
	pthread_once(&surname_once, surname_init);
	for (size_t k = 0; k < NCOMPOUND; k++)
		if (compound_cps[k][0] == first && compound_cps[k][1] == second)
			return 1;
	return 0;
}

enum verdict validate_cn_name_check(const char *s, size_t len)
{
	size_t i = 0, chars = 0, dots = 0;
	long first = -1, second = -1;
	while (i < len) {
		long cp = next_cp(s, len, &i);
		if (cp == 0xB7 || cp == 0x30FB || cp == 0x2022) {
			/* The middle dot of transliterated minority names. */
			if (!chars || dots++)
				return VERDICT_FAIL;
			continue;
		}
		if (cp < 0 || !is_han(cp))
			return VERDICT_FAIL;
		if (chars == 0)
			first = cp;
		else if (chars == 1)
			second = cp;
		chars++;
	}
	if (dots)
		return chars >= 3 && chars <= 12 ? VERDICT_PASS : VERDICT_FAIL;
	if (chars < 2 || chars > 4)
		return VERDICT_FAIL;
	if (chars >= 3) {
		if (is_compound_surname(first, second))
			return VERDICT_PASS;
		if (chars == 4)
			return VERDICT_FAIL;
	}
	return is_single_surname(first) ? VERDICT_PASS : VERDICT_FAIL;
}

/* The address tokens, a bit each: the administrative ones (the region
 * bits) and the street-level ones. A value is decoded once and each of its
 * characters looked up, with the one or two before it for the tokens of
 * two or three characters: a substring search per token (26 memcmp calls
 * a byte) took 88% of a scan of a CSV of addresses. UTF-8 being
 * self-synchronising, a token's bytes occur in a decoded value exactly
 * where its characters do, so the verdicts are the same. */
enum {
	ADDR_SHENG, ADDR_ZIZHIQU, ADDR_SHI, ADDR_QU, ADDR_XIAN, ADDR_QI, ADDR_ZHOU, ADDR_MENG,
	ADDR_LU, ADDR_JIE, ADDR_DAO, ADDR_XIANG, ADDR_NONG, ADDR_HUTONG, ADDR_HAO, ADDR_CUN, ADDR_ZHEN,
	ADDR_XIANG1, ADDR_DASHA, ADDR_XIAOQU, ADDR_YUAN, ADDR_DONG, ADDR_ZHUANG, ADDR_DANYUAN, ADDR_SHI4,
	ADDR_LOU,
};
#define ADDR_REGION ((1u << (ADDR_MENG + 1)) - 1)

/* The tokens that end with the Han character cp, after prev1 (and prev2
 * before it). */
static uint32_t address_tokens(long cp, long prev1, long prev2)
{
	switch (cp) {
	case 0x7701: return 1u << ADDR_SHENG;                            /* 省 */
	case 0x5E02: return 1u << ADDR_SHI;                              /* 市 */
	case 0x533A:                                                      /* 区 */
		return 1u << ADDR_QU |
		       (prev1 == 0x6CBB && prev2 == 0x81EA ? 1u << ADDR_ZIZHIQU : 0) |   /* 自治区 */
		       (prev1 == 0x5C0F ? 1u << ADDR_XIAOQU : 0);                        /* 小区 */
	case 0x53BF: return 1u << ADDR_XIAN;                             /* 县 */
	case 0x65D7: return 1u << ADDR_QI;                               /* 旗 */
	case 0x5DDE: return 1u << ADDR_ZHOU;                             /* 州 */
	case 0x76DF: return 1u << ADDR_MENG;                             /* 盟 */
	case 0x8DEF: return 1u << ADDR_LU;                               /* 路 */
	case 0x8857: return 1u << ADDR_JIE;                              /* 街 */
	case 0x9053: return 1u << ADDR_DAO;                              /* 道 */
	case 0x5DF7: return 1u << ADDR_XIANG;                            /* 巷 */
	case 0x5F04: return 1u << ADDR_NONG;                             /* 弄 */
	case 0x540C: return prev1 == 0x80E1 ? 1u << ADDR_HUTONG : 0;     /* 胡同 */
	case 0x53F7: return 1u << ADDR_HAO;                              /* 号 */
	case 0x6751: return 1u << ADDR_CUN;                              /* 村 */
	case 0x9547: return 1u << ADDR_ZHEN;                             /* 镇 */
	case 0x4E61: return 1u << ADDR_XIANG1;                           /* 乡 */
	case 0x53A6: return prev1 == 0x5927 ? 1u << ADDR_DASHA : 0;      /* 大厦 */
	case 0x82D1: return 1u << ADDR_YUAN;                             /* 苑 */
	case 0x680B: return 1u << ADDR_DONG;                             /* 栋 */
	case 0x5E62: return 1u << ADDR_ZHUANG;                           /* 幢 */
	case 0x5143: return prev1 == 0x5355 ? 1u << ADDR_DANYUAN : 0;    /* 单元 */
	case 0x5BA4: return 1u << ADDR_SHI4;                             /* 室 */
	case 0x697C: return 1u << ADDR_LOU;                              /* 楼 */
	default: return 0;
	}
}

/* The characters address_tokens knows (the last of each token), as a
 * bitmap over the CJK blocks: most characters of an address are none of
 * them, and a bit test costs less than the switch's branches. */
static uint64_t token_end_bits[(HAN_HI - HAN_LO) / 64 + 1];
static pthread_once_t token_end_once = PTHREAD_ONCE_INIT;

static void token_end_init(void)
{
	for (long cp = HAN_LO; cp <= HAN_HI; cp++)
		if (address_tokens(cp, 0x6CBB, 0x81EA) | address_tokens(cp, 0x80E1, -1) |
		    address_tokens(cp, 0x5927, -1) | address_tokens(cp, 0x5C0F, -1) | address_tokens(cp, 0x5355, -1))
			token_end_bits[(cp - HAN_LO) / 64] |= 1ULL << ((cp - HAN_LO) % 64);
}

enum verdict validate_cn_address_check(const char *s, size_t len)
{
	pthread_once(&token_end_once, token_end_init);
	size_t i = 0, han = 0;
	long prev1 = -1, prev2 = -1;
	uint32_t seen = 0;
	while (i < len) {
		long cp = next_cp(s, len, &i);
		if (cp < 0)
			return VERDICT_FAIL;
		if (is_han(cp)) {
			han++;
			if (token_end_bits[(cp - HAN_LO) / 64] >> ((cp - HAN_LO) % 64) & 1)
				seen |= address_tokens(cp, prev1, prev2);
		}
		prev2 = prev1;
		prev1 = cp;
	}
	if (han < 6)
		return VERDICT_FAIL;
	int r = __builtin_popcount(seen & ADDR_REGION), t = __builtin_popcount(seen & ~(uint32_t)ADDR_REGION);
	return r >= 1 && t >= 1 && r + t >= 3 ? VERDICT_PASS : VERDICT_FAIL;
}

/* All digits, n of them within [lo, hi], the first not '0'. */
static int digits_only(const char *s, size_t len, size_t lo, size_t hi)
{
	if (len < lo || len > hi || s[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

enum verdict validate_cn_postal_code_check(const char *s, size_t len)
{
	/* Six digits; the first is 1-8 (0 and 9 head no postal region). */
	return digits_only(s, len, 6, 6) && s[0] != '9' ? VERDICT_PASS : VERDICT_FAIL;
}

enum verdict validate_qq_number_check(const char *s, size_t len)
{
	/* QQ numbers started at 10000 and are at most 11 digits long. */
	return digits_only(s, len, 5, 11) ? VERDICT_PASS : VERDICT_FAIL;
}
