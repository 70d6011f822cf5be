/* Unit tests for the validators (scanner/validate*.c): a table of written
 * values with the verdict and normal form each must get, plus properties
 * that hold for every row (no reads past len, dst_cap respected) and for
 * every check-digit scheme (no single substitution passes). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "validate.h"
#include "validate_impl.h"

struct validate_case {
	const char *name;
	const char *in;
	enum verdict want;
	const char *norm; /* expected normal form; NULL: not checked */
};

#define P VERDICT_PASS
#define F VERDICT_FAIL
#define W VERDICT_WEAK

static const struct validate_case cases[] = {
	/* cn_resident_id: MOD 11-2, birth date, province. */
	{ "cn_resident_id", "11010519491231002X", P, "11010519491231002X" },
	{ "cn_resident_id", "11010519491231002x", P, "11010519491231002X" },
	{ "cn_resident_id", "44011320141005001x", P, "44011320141005001X" },
	{ "cn_resident_id", "360426199101010071", P, "360426199101010071" },
	{ "cn_resident_id", "440300200002291230", P, NULL },   /* 29 Feb 2000 */
	{ "cn_resident_id", "110101190001010014", P, NULL },   /* year 1900 */
	{ "cn_resident_id", "710000199001010015", P, NULL },   /* Taiwan */
	{ "cn_resident_id", "810000199001010027", P, NULL },   /* Hong Kong */
	{ "cn_resident_id", "910000199001010039", P, NULL },   /* foreigner */
	{ "cn_resident_id", "110105 19491231 002X", P, "11010519491231002X" },
	{ "cn_resident_id", "110105-19491231-002x", P, "11010519491231002X" },
	{ "cn_resident_id", "110105491231002", P, "110105491231002" }, /* 15-digit */
	{ "cn_resident_id", "110105490229002", F, NULL },      /* 1949 not leap */
	{ "cn_resident_id", "110105480229002", P, NULL },      /* 1948 leap */
	{ "cn_resident_id", "11010549123100X", F, NULL },      /* 15 has no X */
	{ "cn_resident_id", "110105194912310021", F, NULL },   /* check digit */
	{ "cn_resident_id", "360426199113010079", F, NULL },   /* month 13 */
	{ "cn_resident_id", "36042619910102009X", F, NULL },
	{ "cn_resident_id", "T60426199101010078", F, NULL },
	{ "cn_resident_id", "110101210002280011", P, NULL },   /* year 2100 */
	{ "cn_resident_id", "11010118991231001X", F, NULL },   /* year 1899 */
	{ "cn_resident_id", "160426199101010075", F, NULL },   /* no province 16 */
	{ "cn_resident_id", "060426199101010071", F, NULL },
	{ "cn_resident_id", "11010519491231002", F, NULL },    /* 17 chars */
	{ "cn_resident_id", "11010519491231002XX", F, NULL },
	{ "cn_resident_id", "110105 19491231-002X", F, NULL }, /* mixed seps */
	{ "cn_resident_id", "110105  19491231002X", F, NULL },
	{ "cn_resident_id", " 11010519491231002X", F, NULL },
	/* Read in place when written plain; grouped or odd forms compacted. */
	{ "cn_resident_id", "11010519491231002 ", F, NULL },  /* separator last */
	{ "cn_resident_id", "11010519491231002-", F, NULL },
	{ "cn_resident_id", "110105 4912 31 002", P, "110105491231002" }, /* 18 bytes, 15 digits */
	{ "cn_resident_id", "11010549123100 2", P, "110105491231002" }, /* 16 bytes, 15 digits */
	{ "cn_resident_id", "110105491231002X", F, NULL },    /* 16 */
	{ "cn_resident_id", "", F, NULL },

	/* bank_card: network prefix and length, Luhn; UnionPay may be weak. */
	{ "bank_card", "4111111111111111", P, "4111111111111111" },
	{ "bank_card", "4111 1111 1111 1111", P, "4111111111111111" },
	{ "bank_card", "4111-1111-1111-1111", P, "4111111111111111" },
	{ "bank_card", "4222222222222", P, NULL },           /* Visa 13 */
	{ "bank_card", "4000000000000000006", P, NULL },     /* Visa 19 */
	{ "bank_card", "40000000000000006", F, NULL },       /* Visa 17 */
	{ "bank_card", "5555555555554444", P, NULL },
	{ "bank_card", "5105105105105100", P, NULL },
	{ "bank_card", "2223003122003222", P, NULL },        /* Mastercard 2-series */
	{ "bank_card", "2720999999999996", P, NULL },
	{ "bank_card", "2730000000000003", F, NULL },        /* past 2720 */
	{ "bank_card", "2220000000000000", F, NULL },        /* before 2221 */
	{ "bank_card", "5600000000000003", F, NULL },        /* not 51-55 */
	{ "bank_card", "6200000000000005", P, NULL },
	{ "bank_card", "6222021234567894", P, NULL },        /* UnionPay 16 */
	{ "bank_card", "622202123456789012", P, NULL },      /* UnionPay 18 */
	{ "bank_card", "6222021234567890128", P, NULL },     /* UnionPay 19 */
	{ "bank_card", "6222 0212 3456 7890 128", P, "6222021234567890128" },
	{ "bank_card", "6222 0212 3456 7890 123", W, "6222021234567890123" },
	{ "bank_card", "6222021234567895", W, NULL },
	{ "bank_card", "622202123456789", F, NULL },         /* UnionPay 15 */
	{ "bank_card", "378282246310005", P, NULL },         /* Amex */
	{ "bank_card", "3782 822463 10005", P, "378282246310005" },
	{ "bank_card", "3530111333300000", P, NULL },        /* JCB */
	{ "bank_card", "6011111111111117", P, NULL },        /* Discover */
	{ "bank_card", "6500000000000002", P, NULL },
	{ "bank_card", "6440000000000005", P, NULL },
	{ "bank_card", "3620000000000004", F, NULL },        /* Diners: not listed */
	{ "bank_card", "4111111111111112", F, NULL },        /* Luhn */
	{ "bank_card", "5555555555554445", F, NULL },
	{ "bank_card", "4444444444444444", F, NULL },
	{ "bank_card", "4111 1111-1111 1111", F, NULL },
	{ "bank_card", "4111  1111 1111 1111", F, NULL },
	{ "bank_card", "4111 1111 1111 1111 ", F, NULL },
	{ "bank_card", "411111111111", F, NULL },
	{ "bank_card", "41111111111111111111", F, NULL },
	{ "bank_card", "4111a11111111111", F, NULL },
	{ "bank_card", "4111 1111 1111 1111 111", F, NULL }, /* 19 digits, Luhn */
	{ "bank_card", "4111 1111 1111 1111 1111", F, NULL }, /* 20 digits */
	{ "bank_card", "2100873244742822098", F, NULL },     /* order number */
	{ "bank_card", "622826199001011234", W, NULL },      /* Gansu resident ID */

	/* imei */
	{ "imei", "490154203237518", P, "490154203237518" },
	{ "imei", "35-209900-176148-1", P, "352099001761481" },
	{ "imei", "350077-52-323751-3", P, "350077523237513" },
	{ "imei", "35 209900 176148 1", P, "352099001761481" },
	{ "imei", "354178036859789", P, NULL },
	{ "imei", "490154203237519", F, NULL },
	{ "imei", "000000000000000", F, NULL },
	{ "imei", "49015420323751", F, NULL },               /* no check digit */
	{ "imei", "4901542032375180", F, NULL },             /* IMEISV */
	{ "imei", "35-209900 176148-1", F, NULL },

	/* cn_mobile */
	{ "cn_mobile", "13812345678", P, "13812345678" },
	{ "cn_mobile", "138 1234 5678", P, "13812345678" },
	{ "cn_mobile", "138-1234-5678", P, "13812345678" },
	{ "cn_mobile", "+8613812345678", P, "13812345678" },
	{ "cn_mobile", "+86 13812345678", P, "13812345678" },
	{ "cn_mobile", "+86-138-1234-5678", P, "13812345678" },
	{ "cn_mobile", "+86 138-1234-5678", P, "13812345678" },
	{ "cn_mobile", "008613812345678", P, "13812345678" },
	{ "cn_mobile", "0086 138 1234 5678", P, "13812345678" },
	{ "cn_mobile", "0086-13812345678", P, "13812345678" },
	{ "cn_mobile", "14512345678", P, NULL },
	{ "cn_mobile", "14912345678", F, NULL },             /* not in libphonenumber 8.12 */
	{ "cn_mobile", "16212345678", P, NULL },
	{ "cn_mobile", "16112345678", F, NULL },
	{ "cn_mobile", "17012345678", P, NULL },
	{ "cn_mobile", "17912345678", F, NULL },
	{ "cn_mobile", "17400123456", P, NULL },             /* satellite block */
	{ "cn_mobile", "17405999999", P, NULL },
	{ "cn_mobile", "17406123456", F, NULL },
	{ "cn_mobile", "17412345678", F, NULL },
	{ "cn_mobile", "19212345678", P, NULL },
	{ "cn_mobile", "19412345678", F, NULL },
	{ "cn_mobile", "15412345678", F, NULL },
	{ "cn_mobile", "15712345678", P, NULL },             /* once missed */
	{ "cn_mobile", "19912345678", P, NULL },
	{ "cn_mobile", "13012345678", P, NULL },
	{ "cn_mobile", "18912345678", P, NULL },
	{ "cn_mobile", "12345678901", F, NULL },
	{ "cn_mobile", "23812345678", F, NULL },
	{ "cn_mobile", "1381234567", F, NULL },
	{ "cn_mobile", "138123456789", F, NULL },
	{ "cn_mobile", "138 1234-5678", F, NULL },
	{ "cn_mobile", "1381 234 5678", F, NULL },
	{ "cn_mobile", "138  1234 5678", F, NULL },
	{ "cn_mobile", "+86  13812345678", F, NULL },
	{ "cn_mobile", "8613812345678", F, NULL },
	{ "cn_mobile", "+85213812345678", F, NULL },
	{ "cn_mobile", "+86", F, NULL },
	{ "cn_mobile", "00861381234", F, NULL },             /* 0086 and 7 digits */
	{ "cn_mobile", "1381234567X", F, NULL },
	{ "cn_mobile", "10012345678", F, NULL },

	/* cn_landline */
	{ "cn_landline", "010-23456789", P, "01023456789" },
	{ "cn_landline", "010 23456789", P, "01023456789" },
	{ "cn_landline", "01023456789", P, "01023456789" },
	{ "cn_landline", "(010)23456789", P, "01023456789" },
	{ "cn_landline", "(010) 23456789", P, "01023456789" },
	{ "cn_landline", "(010)2345-6789", P, "01023456789" },
	{ "cn_landline", "010-2345-6789", P, "01023456789" },
	{ "cn_landline", "010 2345 6789", P, "01023456789" },
	{ "cn_landline", "0755-2345678", P, "07552345678" },
	{ "cn_landline", "0755-23456789", P, "075523456789" },
	{ "cn_landline", "0755 234 5678", P, "07552345678" },
	{ "cn_landline", "0311-2345678", P, NULL },
	{ "cn_landline", "0898-66123456", P, NULL },
	{ "cn_landline", "021-62345678", P, NULL },
	{ "cn_landline", "+86-10-23456789", P, "01023456789" },
	{ "cn_landline", "+86 755 23456789", P, "075523456789" },
	{ "cn_landline", "0086 21 62345678", P, "02162345678" },
	{ "cn_landline", "+861023456789", P, "01023456789" },
	{ "cn_landline", "010-12345678", F, NULL },          /* subscriber 1 */
	{ "cn_landline", "010-02345678", F, NULL },          /* subscriber 0 */
	{ "cn_landline", "026-23456789", F, NULL },          /* 026 unassigned */
	{ "cn_landline", "011-23456789", F, NULL },
	{ "cn_landline", "0300-2345678", F, NULL },
	{ "cn_landline", "0807-82345678", F, NULL },         /* not in the area table */
	{ "cn_landline", "0000-2345678", F, NULL },
	{ "cn_landline", "010-234567", F, NULL },
	{ "cn_landline", "010-234567890", F, NULL },
	{ "cn_landline", "010--23456789", F, NULL },
	{ "cn_landline", "010-2345 6789", P, "01023456789" },
	{ "cn_landline", "010-23-456789", F, NULL },
	{ "cn_landline", "010-23456789-", F, NULL },
	{ "cn_landline", "(010-23456789", F, NULL },
	{ "cn_landline", "(10)23456789", F, NULL },
	{ "cn_landline", "+86 010 23456789", F, NULL },
	{ "cn_landline", "13812345678", F, NULL },
	{ "cn_landline", "010", F, NULL },
	{ "cn_landline", "(", F, NULL },

	/* cn_uscc */
	{ "cn_uscc", "91110000600037341L", P, "91110000600037341L" },
	{ "cn_uscc", "91110000600037341l", P, "91110000600037341L" },
	{ "cn_uscc", "91 110000 600037341L", P, "91110000600037341L" },
	{ "cn_uscc", "91440300ma5examp1f", P, "91440300MA5EXAMP1F" },
	{ "cn_uscc", "12100000400000624D", P, NULL },
	{ "cn_uscc", "Y1110000MA01ABCDE8", P, NULL },
	{ "cn_uscc", "A1440300MA5D7XY319", P, NULL },
	{ "cn_uscc", "N2110000MA01ABCDED", P, NULL },
	{ "cn_uscc", "91110000600037341N", F, NULL },
	{ "cn_uscc", "A1110000600037341L", F, NULL },
	{ "cn_uscc", "9111000060003IOZSV", F, NULL },
	{ "cn_uscc", "90110000600037341P", F, NULL },        /* type 0 */
	{ "cn_uscc", "01110000600037341X", F, NULL },        /* authority 0 */
	{ "cn_uscc", "911100006000373410", F, NULL },
	{ "cn_uscc", "9111000060003734", F, NULL },
	{ "cn_uscc", "12345", F, NULL },
	{ "cn_uscc", "y1110000ma01abcde8", P, "Y1110000MA01ABCDE8" }, /* lower-case authority */
	{ "cn_uscc", "9111000060003734 L", F, NULL },       /* 18 bytes with a separator */
	{ "cn_uscc", "91110000600037341 ", F, NULL },
	{ "cn_uscc", "91110000-600037341L", P, "91110000600037341L" },
	{ "cn_uscc", "9111000060003734iL", F, NULL },       /* i is not in the alphabet */

	/* email */
	{ "email", "alice@example.com", P, "alice@example.com" },
	{ "email", "Alice.Smith+tag@Mail.Example.CO.UK", P, "alice.smith+tag@mail.example.co.uk" },
	{ "email", "a_b%c-d@sub-domain.example.org", P, NULL },
	{ "email", "x@y.zz", P, NULL },
	{ "email", "a@b.c", F, NULL },                       /* one-letter TLD */
	{ "email", "a@localhost", F, NULL },
	{ "email", ".a@example.com", F, NULL },
	{ "email", "a.@example.com", F, NULL },
	{ "email", "a..b@example.com", F, NULL },
	{ "email", "@example.com", F, NULL },
	{ "email", "a@", F, NULL },
	{ "email", "a@@example.com", F, NULL },
	{ "email", "a@example..com", F, NULL },
	{ "email", "a@-example.com", F, NULL },
	{ "email", "a@example-.com", F, NULL },
	{ "email", "a@example.c0m", F, NULL },
	{ "email", "a@example.com.", F, NULL },
	{ "email", "a b@example.com", F, NULL },
	{ "email", "a@exa_mple.com", F, NULL },
	{ "email", "a@example.abcdefghijklmnopqrstuvwxy", F, NULL }, /* TLD 25 */
	{ "email", "a@example.abcdefghijklmnopqrstuvwx", P, NULL },  /* TLD 24 */
	{ "email", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234@example.com", P, NULL },
	{ "email", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345@example.com", F, NULL },

	/* ipv4 */
	{ "ipv4", "192.168.1.10", P, "192.168.1.10" },
	{ "ipv4", "0.0.0.0", P, NULL },                      /* the engine's call */
	{ "ipv4", "255.255.255.255", P, NULL },
	{ "ipv4", "256.1.1.1", F, NULL },
	{ "ipv4", "1.2.3.04", F, NULL },
	{ "ipv4", "01.2.3.4", F, NULL },
	{ "ipv4", "1.2.3", F, NULL },
	{ "ipv4", "1.2.3.4.5", F, NULL },
	{ "ipv4", "1.2.3.", F, NULL },
	{ "ipv4", ".1.2.3", F, NULL },
	{ "ipv4", "1..2.3", F, NULL },
	{ "ipv4", "1.2.3.1000", F, NULL },
	{ "ipv4", "1.2.3.4 ", F, NULL },
	{ "ipv4", "1.2.3.0", P, NULL },
	{ "ipv4", "10.0.100.200", P, NULL },
	{ "ipv4", "1.2.3.00", F, NULL },
	{ "ipv4", "1.2.300.4", F, NULL },
	{ "ipv4", "1.2.3.4a", F, NULL },
	{ "ipv4", "1234.1.1.1", F, NULL },
	{ "ipv4", "1.2.3.4 ", F, NULL },

	/* ipv6 */
	{ "ipv6", "2001:DB8::1", P, "2001:db8::1" },
	{ "ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", P, NULL },
	{ "ipv6", "fe80::1", P, NULL },
	{ "ipv6", "::ffff:192.168.1.10", P, "::ffff:192.168.1.10" },
	{ "ipv6", "1:2:3:4:5:6:7:8", P, NULL },
	{ "ipv6", "0000:0000:0000:0000:0000:ffff:255.255.255.255", P, NULL }, /* 45 */
	{ "ipv6", "::", F, NULL },
	{ "ipv6", "::1", F, NULL },
	{ "ipv6", "0:0:0:0:0:0:0:1", F, NULL },
	{ "ipv6", "0:0:0:0:0:0:0:0", F, NULL },
	{ "ipv6", "1:2:3:4:5:6:7", F, NULL },
	{ "ipv6", "1::2::3", F, NULL },
	{ "ipv6", "12345::1", F, NULL },
	{ "ipv6", "fe80::1%eth0", F, NULL },
	{ "ipv6", "g::1", F, NULL },
	{ "ipv6", "00000:0000:0000:0000:0000:ffff:255.255.255.255", F, NULL }, /* 46 */

	/* mac */
	{ "mac", "00:1A:2B:3C:4D:5E", P, "001a2b3c4d5e" },
	{ "mac", "00-1a-2b-3c-4d-5e", P, "001a2b3c4d5e" },
	{ "mac", "001a.2b3c.4d5e", P, "001a2b3c4d5e" },
	{ "mac", "00:00:00:00:00:00", F, NULL },
	{ "mac", "FF:FF:FF:FF:FF:FF", F, NULL },
	{ "mac", "ff-ff-ff-ff-ff-ff", F, NULL },
	{ "mac", "00:1a-2b:3c:4d:5e", F, NULL },
	{ "mac", "00:1a:2b:3c:4d:5g", F, NULL },
	{ "mac", "00:1a:2b:3c:4d", F, NULL },
	{ "mac", "001a2b3c4d5e", F, NULL },
	{ "mac", "001a:2b3c:4d5e", F, NULL },
	{ "mac", "0:1a:2b:3c:4d:5e:", F, NULL },

	/* cn_passport */
	{ "cn_passport", "E12345678", P, "E12345678" },
	{ "cn_passport", "G12345678", P, NULL },
	{ "cn_passport", "EA1234567", P, NULL },
	{ "cn_passport", "D1234567", P, NULL },
	{ "cn_passport", "S1234567", P, NULL },
	{ "cn_passport", "P1234567", P, NULL },
	{ "cn_passport", "DE1234567", P, NULL },
	{ "cn_passport", "EI1234567", F, NULL },
	{ "cn_passport", "EO1234567", F, NULL },
	{ "cn_passport", "e12345678", F, NULL },
	{ "cn_passport", "G1234567", F, NULL },
	{ "cn_passport", "D12345678", F, NULL },
	{ "cn_passport", "GA1234567", F, NULL },
	{ "cn_passport", "DA1234567", F, NULL },
	{ "cn_passport", "E00000000", F, NULL },
	{ "cn_passport", "K12345678", F, NULL },

	/* cn_plate */
	{ "cn_plate", "京A12345", P, "京A12345" },
	{ "cn_plate", "粤B·12345", P, "粤B12345" },
	{ "cn_plate", "粤B 1234X", P, "粤B1234X" },
	{ "cn_plate", "沪AB1234", P, NULL },
	{ "cn_plate", "沪A1B2C3", P, NULL },
	{ "cn_plate", "沪AB1C2D", F, NULL },                /* three letters */
	{ "cn_plate", "粤BD12345", P, NULL },               /* new energy, small */
	{ "cn_plate", "粤BDF1234", P, NULL },
	{ "cn_plate", "粤B12345F", P, NULL },               /* new energy, large */
	{ "cn_plate", "粤B·D12345", P, "粤BD12345" },
	{ "cn_plate", "粤BA12345", F, NULL },               /* 6 chars, not D/F */
	{ "cn_plate", "粤BD1234A", F, NULL },
	{ "cn_plate", "粤B1234学", P, NULL },
	{ "cn_plate", "粤Z1234港", P, NULL },
	{ "cn_plate", "京A1234警", P, NULL },
	{ "cn_plate", "京A1234挂", P, NULL },
	{ "cn_plate", "京A12345学", F, NULL },
	{ "cn_plate", "京I12345", F, NULL },
	{ "cn_plate", "京a12345", F, NULL },
	{ "cn_plate", "京A1234O", F, NULL },
	{ "cn_plate", "京A1234", F, NULL },
	{ "cn_plate", "京A1234567", F, NULL },
	{ "cn_plate", "中A12345", F, NULL },
	{ "cn_plate", "京A  12345", F, NULL },
	{ "cn_plate", "京", F, NULL },

	/* hk_id */
	{ "hk_id", "A123456(3)", P, "A1234563" },
	{ "hk_id", "A1234563", P, "A1234563" },
	{ "hk_id", "a123456(3)", P, "A1234563" },
	{ "hk_id", "AB987654(3)", P, "AB9876543" },
	{ "hk_id", "G123456(A)", P, "G123456A" },
	{ "hk_id", "G123456(a)", P, "G123456A" },
	{ "hk_id", "K123456(0)", P, NULL },
	{ "hk_id", "XA000001(6)", P, NULL },
	{ "hk_id", "A123456(4)", F, NULL },
	{ "hk_id", "A123456(", F, NULL },
	{ "hk_id", "A123456()", F, NULL },
	{ "hk_id", "A123456(33)", F, NULL },
	{ "hk_id", "ABC123456(3)", F, NULL },
	{ "hk_id", "1234567(3)", F, NULL },
	{ "hk_id", "A12345(3)", F, NULL },

	/* tw_id */
	{ "tw_id", "A123456789", P, "A123456789" },
	{ "tw_id", "a123456789", P, "A123456789" },
	{ "tw_id", "B223456782", P, NULL },
	{ "tw_id", "A800000014", P, NULL },                 /* new resident cert */
	{ "tw_id", "Z298765438", P, NULL },
	{ "tw_id", "I111111115", P, NULL },
	{ "tw_id", "O912345676", P, NULL },
	{ "tw_id", "A123456788", F, NULL },
	{ "tw_id", "A323456789", F, NULL },
	{ "tw_id", "1123456789", F, NULL },
	{ "tw_id", "A12345678", F, NULL },

	/* aws_access_key */
	{ "aws_access_key", "AKIAIOSFODNN7EXAMPLE", P, "AKIAIOSFODNN7EXAMPLE" },
	{ "aws_access_key", "ASIAY34FZKBOKMUTVV7A", P, NULL },
	{ "aws_access_key", "AROA2345672345672345", P, NULL },
	{ "aws_access_key", "AKIAIOSFODNN7EXAMPL", F, NULL },
	{ "aws_access_key", "AKIAIOSFODNN7EXAMPLE1", F, NULL },
	{ "aws_access_key", "AKIAIOSFODNN8EXAMPLE", F, NULL }, /* 8: not base32 */
	{ "aws_access_key", "akiaiosfodnn7example", F, NULL },
	{ "aws_access_key", "ABIAIOSFODNN7EXAMPLE", F, NULL },

	/* iban */
	{ "iban", "DE89370400440532013000", P, "DE89370400440532013000" },
	{ "iban", "DE89 3704 0044 0532 0130 00", P, "DE89370400440532013000" },
	{ "iban", "de89 3704 0044 0532 0130 00", P, "DE89370400440532013000" },
	{ "iban", "GB82WEST12345698765432", P, NULL },
	{ "iban", "FR1420041010050500013M02606", P, NULL },
	{ "iban", "NL91ABNA0417164300", P, NULL },
	{ "iban", "ES9121000418450200051332", P, NULL },
	{ "iban", "IT60X0542811101000000123456", P, NULL },
	{ "iban", "BE68539007547034", P, NULL },
	{ "iban", "CH9300762011623852957", P, NULL },
	{ "iban", "AT611904300234573201", P, NULL },
	{ "iban", "PL61109010140000071219812874", P, NULL },
	{ "iban", "NO9386011117947", P, NULL },
	{ "iban", "MT84MALT011000012345MTLCAST001S", P, NULL },
	{ "iban", "DE88370400440532013000", F, NULL },
	{ "iban", "DE8937040044053201300", F, NULL },        /* 21 chars */
	{ "iban", "DE893704004405320130000", F, NULL },
	{ "iban", "GB82WEST1234569876543X", F, NULL },       /* layout */
	{ "iban", "XX89370400440532013000", F, NULL },
	{ "iban", "DE89 37040044 0532 0130 00", F, NULL },
	{ "iban", "DE89  3704 0044 0532 0130 00", F, NULL },
	{ "iban", "DE89-3704-0044-0532-0130-00", F, NULL },
	{ "iban", "DE89", F, NULL },
};

#undef P
#undef F
#undef W

static const char *verdict_name(enum verdict v)
{
	return v == VERDICT_PASS ? "pass" : v == VERDICT_WEAK ? "weak" : "fail";
}

/* A heap copy of s without its NUL, so that ASan flags any read past len. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, s, len);
	return p;
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct validate_case *c = &cases[i];
		const struct validator *v = validator_find(c->name);
		size_t len = strlen(c->in);
		char *in, norm[VALIDATE_NORM_MAX + 1];
		enum verdict got;
		size_t n;

		CHECK_MSG(v != NULL, "no validator '%s'", c->name);
		if (!v)
			continue;
		in = exact_copy(c->in, len);
		got = v->check(in, len);
		CHECK_MSG(got == c->want, "%s \"%s\": %s, want %s", c->name, c->in,
			  verdict_name(got), verdict_name(c->want));
		n = v->normalize(in, len, norm, VALIDATE_NORM_MAX);
		CHECK_MSG(n <= VALIDATE_NORM_MAX, "%s \"%s\": normal form %zu bytes",
			  c->name, c->in, n);
		if (c->norm && n <= VALIDATE_NORM_MAX) {
			norm[n] = '\0';
			CHECK_MSG(strcmp(norm, c->norm) == 0, "%s \"%s\": normal form \"%s\", want \"%s\"",
				  c->name, c->in, norm, c->norm);
		}
		free(in);
	}
}

/* Normalisers must stop at dst_cap, whatever they are given. */
static void test_normalize_cap(void)
{
	size_t count;
	const struct validator *all = validator_all(&count);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct validator *v = validator_find(cases[i].name);
		size_t len = strlen(cases[i].in);

		if (!v)
			continue;
		for (size_t cap = 1; cap <= 4; cap++) {
			char *dst = malloc(cap);

			if (!dst)
				abort();
			size_t n = v->normalize(cases[i].in, len, dst, cap);

			CHECK_MSG(n <= cap, "%s \"%s\" cap %zu: wrote %zu",
				  cases[i].name, cases[i].in, cap, n);
			free(dst);
		}
	}
	/* And every validator copes with an empty and an oversized value. */
	static char big[4 * VALIDATE_NORM_MAX];

	memset(big, '9', sizeof big);
	for (size_t i = 0; i < count; i++) {
		char norm[VALIDATE_NORM_MAX];

		CHECK_MSG(all[i].check(big, 0) == VERDICT_FAIL, "%s: empty passes", all[i].name);
		CHECK_MSG(all[i].check(big, sizeof big) == VERDICT_FAIL, "%s: 1 KiB of 9s passes",
			  all[i].name);
		CHECK(all[i].normalize(big, sizeof big, norm, sizeof norm) <= sizeof norm);
	}
}

static void test_registry(void)
{
	static const char *const names[] = {
		"cn_resident_id", "bank_card", "imei", "cn_mobile", "cn_landline",
		"cn_uscc", "email", "ipv4", "ipv6", "mac", "cn_passport", "cn_plate",
		"hk_id", "tw_id", "aws_access_key", "iban", "cn_name", "cn_address",
		"cn_postal_code", "qq_number",
	};
	size_t count;
	const struct validator *all = validator_all(&count);

	CHECK_INT(count, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct validator *v = validator_find(names[i]);

		CHECK_MSG(v != NULL, "validator '%s' missing", names[i]);
		if (v)
			CHECK_STR(v->name, names[i]);
	}
	for (size_t i = 0; i < count; i++) {
		CHECK(all[i].check != NULL && all[i].normalize != NULL);
		CHECK(validator_find(all[i].name) == &all[i]);
	}
	CHECK(validator_find("no_such_validator") == NULL);
	CHECK(validator_find("") == NULL);
	CHECK(validator_find("cn_mobil") == NULL);
}

static void test_identity(void)
{
	char dst[8];

	CHECK_INT(validate_normalize_identity("abc", 3, dst, sizeof dst), 3);
	CHECK(memcmp(dst, "abc", 3) == 0);
	CHECK_INT(validate_normalize_identity("abcdefghijk", 11, dst, sizeof dst), 8);
	CHECK(memcmp(dst, "abcdefgh", 8) == 0);
	CHECK_INT(validate_normalize_identity("", 0, dst, sizeof dst), 0);
}

static void test_luhn(void)
{
	CHECK(validate_luhn_ok("0", 1));
	CHECK(validate_luhn_ok("18", 2));
	CHECK(!validate_luhn_ok("19", 2));
	CHECK(validate_luhn_ok("79927398713", 11));
	CHECK(!validate_luhn_ok("79927398710", 11));
	CHECK(!validate_luhn_ok("", 0));
}

/* The pairwise Luhn sum against the textbook one, digit by digit from the
 * right, on every length a card or IMEI can have and then some. */
static void test_luhn_pairs(void)
{
	unsigned long long state = 777;

	for (int round = 0; round < 20000; round++) {
		char d[32];
		size_t n = 1 + (size_t)round % 25;
		int sum = 0;

		for (size_t i = 0; i < n; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			d[i] = (char)('0' + (state >> 33) % 10);
		}
		for (size_t i = 0; i < n; i++) {
			int v = d[n - 1 - i] - '0';

			if (i % 2 == 1)
				v = v * 2 > 9 ? v * 2 - 9 : v * 2;
			sum += v;
		}
		CHECK_MSG(validate_luhn_ok(d, n) == (sum % 10 == 0), "%.*s", (int)n, d);
	}
}

/* validate_all_digits reads words; every byte value at every position of
 * every length must still be judged alone, without a read past len. */
static void test_all_digits(void)
{
	for (size_t len = 0; len <= 25; len++) {
		char *p = malloc(len ? len : 1);

		if (!p)
			abort();
		memset(p, '7', len);
		CHECK_MSG(validate_all_digits(p, len), "len %zu", len);
		for (size_t pos = 0; pos < len; pos++) {
			for (int b = 0; b < 256; b++) {
				p[pos] = (char)b;
				CHECK_MSG(validate_all_digits(p, len) == (b >= '0' && b <= '9'),
					  "len %zu pos %zu byte %d", len, pos, b);
			}
			p[pos] = '0' + (char)(pos % 10);
		}
		free(p);
	}
}

/* Every scheme below detects any single substituted character, so no
 * one-character change of a valid value may pass. The alphabet is what
 * each position may hold when written; for IBANs it is digits only,
 * because MOD 97-10 reads a letter as two digits and so misses some
 * substitutions of a letter: FR1420041010050500013M02606 and
 * FR1420041010050Q00013M02606 both pass. */
static void test_single_substitution(void)
{
	static const struct {
		const char *name, *valid, *alphabet;
	} seeds[] = {
		{ "cn_resident_id", "11010519491231002X", "0123456789X" },
		{ "cn_resident_id", "440300200002291230", "0123456789X" },
		{ "cn_uscc", "91110000600037341L", "0123456789ABCDEFGHJKLMNPQRTUWXY" },
		{ "cn_uscc", "A1440300MA5D7XY319", "0123456789ABCDEFGHJKLMNPQRTUWXY" },
		{ "imei", "490154203237518", "0123456789" },
		{ "bank_card", "4111111111111111", "0123456789" },
		{ "bank_card", "6222021234567890128", "0123456789" },
		{ "bank_card", "378282246310005", "0123456789" },
		{ "iban", "GB82WEST12345698765432", "0123456789" },
		{ "iban", "FR1420041010050500013M02606", "0123456789" },
		{ "hk_id", "AB9876543", "0123456789A" },
	};

	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		const struct validator *v = validator_find(seeds[i].name);
		char buf[64];
		size_t len = strlen(seeds[i].valid);

		if (!v)
			continue;
		CHECK_MSG(v->check(seeds[i].valid, len) == VERDICT_PASS, "seed %s", seeds[i].valid);
		for (size_t pos = 0; pos < len; pos++) {
			for (const char *a = seeds[i].alphabet; *a; a++) {
				if (*a == seeds[i].valid[pos])
					continue;
				memcpy(buf, seeds[i].valid, len);
				buf[pos] = *a;
				CHECK_MSG(v->check(buf, len) != VERDICT_PASS, "%s \"%.*s\" passes",
					  seeds[i].name, (int)len, buf);
			}
		}
	}
}

/* Adjacent transpositions are the other common typing error; MOD 11-2,
 * MOD 31 and MOD 97 catch all of them (Luhn misses 09 <-> 90). */
static void test_transposition(void)
{
	static const struct {
		const char *name, *valid;
	} seeds[] = {
		{ "cn_resident_id", "11010519491231002X" },
		{ "cn_uscc", "91110000600037341L" },
		{ "iban", "DE89370400440532013000" },
	};

	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		const struct validator *v = validator_find(seeds[i].name);
		char buf[64];
		size_t len = strlen(seeds[i].valid);

		if (!v)
			continue;
		for (size_t pos = 0; pos + 1 < len; pos++) {
			if (seeds[i].valid[pos] == seeds[i].valid[pos + 1])
				continue;
			memcpy(buf, seeds[i].valid, len);
			buf[pos] = seeds[i].valid[pos + 1];
			buf[pos + 1] = seeds[i].valid[pos];
			CHECK_MSG(v->check(buf, len) != VERDICT_PASS, "%s \"%.*s\" passes",
				  seeds[i].name, (int)len, buf);
		}
	}
}

/* Every calendar day of 1900-2100 is a valid birth date, and no other
 * month/day combination is; checked against a day counter. */
static void test_resident_id_dates(void)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	const struct validator *v = validator_find("cn_resident_id");
	int bad = 0, good = 0;

	if (!v)
		return;
	for (int y = 1899; y <= 2101; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		for (int m = 0; m <= 13; m++) {
			for (int d = 0; d <= 32; d++) {
				static const int mdays[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
				int real = y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
					   d <= mdays[m] + (m == 2 && leap);
				char id[48]; /* room for any int, to keep -Wformat-truncation quiet */
				int sum = 0;

				snprintf(id, sizeof id, "110105%04d%02d%02d002", y, m, d);
				for (int i = 0; i < 17; i++)
					sum += (id[i] - '0') * weights[i];
				id[17] = "10X98765432"[sum % 11];
				if ((v->check(id, 18) == VERDICT_PASS) != real) {
					bad++;
					CHECK_MSG(0, "%.18s: want %s", id, real ? "pass" : "fail");
				}
				good += real;
			}
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(good, 73414); /* days from 1900-01-01 to 2100-12-31 */
}

/* Random bytes drawn mostly from the characters validators care about,
 * through every validator, each value in a heap block of its exact size:
 * ASan and UBSan do the checking. A fixed LCG keeps runs reproducible. */
static void test_random_bytes(void)
{
	static const char alphabet[] = "0123456789+-() .:@xX(AEGDKZaez\xc2\xb7\xe4\xba\xac";
	unsigned long long state = 12345;
	size_t count;
	const struct validator *all = validator_all(&count);

	for (int round = 0; round < 20000; round++) {
		char buf[64], norm[VALIDATE_NORM_MAX];
		size_t len;

		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		len = (size_t)(state >> 33) % sizeof buf;
		for (size_t i = 0; i < len; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (state >> 60) == 0 ? (char)(state >> 40) :
				 alphabet[(state >> 33) % (sizeof alphabet - 1)];
		}
		for (size_t v = 0; v < count; v++) {
			char *in = exact_copy(buf, len);
			enum verdict got = all[v].check(in, len);

			CHECK(got == VERDICT_FAIL || got == VERDICT_PASS || got == VERDICT_WEAK);
			CHECK(all[v].normalize(in, len, norm, sizeof norm) <= sizeof norm);
			free(in);
		}
	}
}

static void test_cn_text(void)
{
	static const struct { const char *name, *value; enum verdict want; } text_cases[] = {
		{ "cn_name", "张三", VERDICT_PASS },
		{ "cn_name", "欧阳修文", VERDICT_PASS },
		{ "cn_name", "阿依古丽·买买提", VERDICT_PASS },
		{ "cn_name", "张", VERDICT_FAIL },
		{ "cn_name", "上海市", VERDICT_FAIL },        /* 上 is no surname here */
		{ "cn_name", "王小明明明", VERDICT_FAIL },    /* too long */
		{ "cn_name", "Zhang San", VERDICT_FAIL },
		{ "cn_name", "张3", VERDICT_FAIL },
		{ "cn_address", "北京市海淀区中关村大街1号", VERDICT_PASS },
		{ "cn_address", "广东省深圳市南山区科技园南路88号3栋201室", VERDICT_PASS },
		{ "cn_address", "海淀区", VERDICT_FAIL },
		{ "cn_address", "北京市海淀区", VERDICT_FAIL },   /* no street-level token */
		{ "cn_postal_code", "100080", VERDICT_PASS },
		{ "cn_postal_code", "010080", VERDICT_FAIL },
		{ "cn_postal_code", "900080", VERDICT_FAIL },
		{ "cn_postal_code", "1000800", VERDICT_FAIL },
		{ "qq_number", "10001", VERDICT_PASS },
		{ "qq_number", "12345678901", VERDICT_PASS },
		{ "qq_number", "1234", VERDICT_FAIL },
		{ "qq_number", "0123456", VERDICT_FAIL },
		{ "qq_number", "123456789012", VERDICT_FAIL },
	};
	for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
		const struct validator *v = validator_find(text_cases[i].name);
		CHECK_MSG(v != NULL, "validator '%s' missing", text_cases[i].name);
		if (v)
			CHECK_MSG(v->check(text_cases[i].value, strlen(text_cases[i].value)) == text_cases[i].want, "%s(\"%s\")",
				  text_cases[i].name, text_cases[i].value);
	}
	/* Every CJK character before 明: a name exactly for the 397 single
	 * surnames of the list (the set the list gave when it was searched
	 * a surname at a time: the lookup table must hold the same). */
	const struct validator *v = validator_find("cn_name");
	size_t pass = 0;
	uint64_t h = 1469598103934665603ULL;
	for (long cp = 0x3400; v && cp <= 0x9FFF; cp++) {
		char name[6] = { (char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)) };
		memcpy(name + 3, "\xE6\x98\x8E", 3);   /* 明 */
		if (v->check(name, sizeof name) == VERDICT_PASS) {
			pass++;
			h = (h ^ (uint64_t)cp) * 1099511628211ULL;
		}
	}
	CHECK_INT(pass, 397);
	CHECK(h == 0x3aa68e8750f37478ULL);
}

/* The shared normalisers (16 bytes a step where a block is kept whole)
 * against plain byte loops, on random strings over digits, letters of
 * both cases, separators and high bytes, with every capacity to 40. */
static size_t ref_keep_digits(const char *s, size_t len, char *dst, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < cap; i++)
		if (s[i] >= '0' && s[i] <= '9')
			dst[n++] = s[i];
	return n;
}

static size_t ref_keep_alnum_upper(const char *s, size_t len, char *dst, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < cap; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
			dst[n++] = c;
		else if (c >= 'a' && c <= 'z')
			dst[n++] = (char)(c - 'a' + 'A');
	}
	return n;
}

static size_t ref_copy_lower(const char *s, size_t len, char *dst, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < cap; i++)
		dst[n++] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	return n;
}

static void test_normalizers_vector(void)
{
	static const char alphabet[] = "0123456789012345678901234567890123456789azAZmMxX -+.@_\xe4\x80\x7f/:[`{";
	static const struct {
		size_t (*got)(const char *, size_t, char *, size_t);
		size_t (*want)(const char *, size_t, char *, size_t);
	} pairs[] = {
		{ validate_keep_digits, ref_keep_digits },
		{ validate_keep_alnum_upper, ref_keep_alnum_upper },
		{ validate_copy_lower, ref_copy_lower },
	};
	uint64_t r = 99;
	char in[80], a[64], b[64];
	for (int round = 0; round < 20000; round++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t len = (r >> 33) % 70, cap = (r >> 45) % 41;
		bool plain = (r >> 20) % 3 == 0; /* digits and letters only: whole blocks */
		for (size_t i = 0; i < len; i++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			in[i] = alphabet[(r >> 33) % (plain ? 48 : sizeof alphabet - 1)];
		}
		for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
			memset(a, '#', sizeof a);
			memset(b, '#', sizeof b);
			size_t na = pairs[k].got(in, len, a, cap), nb = pairs[k].want(in, len, b, cap);
			CHECK_MSG(na == nb && !memcmp(a, b, sizeof a), "normaliser %zu on \"%.*s\" cap %zu: %zu vs %zu", k,
				  (int)len, in, cap, na, nb);
		}
	}
}

/* The vector steps of the check digits against plain loops: Luhn over
 * random digit strings of every length to 40 (the last 16 in one step,
 * the rest paired as before), and the USCC MOD 31 over all-digit codes
 * (every resident id is one), with the right check character and every
 * wrong one. */
static int ref_luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned v = (unsigned)(d[n - 1 - k] - '0');
		if (k % 2) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return n > 0 && sum % 10 == 0;
}

static void test_check_digits_vector(void)
{
	uint64_t r = 5;
	char d[48];
	for (int round = 0; round < 40000; round++) {
		size_t n = 1 + (size_t)round % 40;
		for (size_t k = 0; k < n; k++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			d[k] = (char)('0' + (r >> 33) % 10);
		}
		CHECK_MSG(validate_luhn_ok(d, n) == ref_luhn(d, n), "luhn %.*s", (int)n, d);
	}
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	for (int round = 0; round < 5000; round++) {
		char c[19];
		int sum = 0;
		for (int k = 0; k < 17; k++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			c[k] = (char)('0' + (k < 2 ? 1 + (r >> 33) % 9 : (r >> 33) % 10));
			sum += (c[k] - '0') * w[k];
		}
		char right = alphabet[(31 - sum % 31) % 31];
		for (size_t a = 0; a < sizeof alphabet - 1; a++) {
			c[17] = alphabet[a];
			enum verdict want = c[17] == right ? VERDICT_PASS : VERDICT_FAIL;
			CHECK_MSG(validate_cn_uscc_check(c, 18) == want, "uscc %.18s", c);
		}
	}
}

/* The next step of a 32-bit linear congruential generator. */
static unsigned lcg(unsigned *seed)
{
	return *seed = *seed * 1103515245u + 12345u;
}

/* Append 1 to most bytes drawn from set to s[*len..), stopping at cap. */
static void append_run(char *s, size_t *len, unsigned *seed, const char *set, size_t most, size_t cap)
{
	size_t n = strlen(set);
	for (size_t k = 1 + (lcg(seed) >> 8) % most; k-- && *len < cap; )
		s[(*len)++] = set[(lcg(seed) >> 16) % n];
}

/* The e-mail check on bit masks (values of up to 32 bytes) against the
 * byte loop, on random strings over the characters that matter (letters,
 * digits, . @ - _ % + and a few that are never allowed) with a bias to
 * address shapes, every length to 40. */
static void test_email_masks(void)
{
	static const char alphabet[] = "abcXYZ019.@-_%+!~ \xC3";
	unsigned seed = 4242;
	size_t pass = 0;
	for (int round = 0; round < 400000; round++) {
		char s[64];
		size_t len = (lcg(&seed) >> 8) % 41;
		for (size_t i = 0; i < len; i++) {
			unsigned r = lcg(&seed) >> 16;
			/* mostly letters and digits, now and then the others */
			s[i] = r % 4 ? alphabet[r % 9] : alphabet[(r >> 4) % (sizeof alphabet - 1)];
		}
		if (round % 2) {
			/* An address: a local part, '@', labels, a TLD of 1-26
			 * letters, then up to two bytes changed. */
			len = 0;
			append_run(s, &len, &seed, "abXY09._%+-", 12, 40);
			s[len++] = '@';
			for (size_t labels = 1 + (lcg(&seed) >> 8) % 2; labels--; ) {
				append_run(s, &len, &seed, "abXY09-", 6, 40);
				s[len++] = '.';
			}
			append_run(s, &len, &seed, "abcXYZ", 26, 40);
			for (unsigned k = (lcg(&seed) >> 8) % 3; k--; ) {
				lcg(&seed);
				s[(seed >> 8) % len] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
			}
		}
		enum verdict want = validate_email_check_bytes(s, len), got = validate_email_check(s, len);
		pass += want == VERDICT_PASS;
		CHECK_MSG(got == want, "\"%.*s\" (%zu bytes): %d, the byte loop says %d", (int)len, s, len, got, want);
	}
	CHECK(pass > 50000);   /* the generator reaches valid addresses, short and long */
}

/* Whether a card number of n digits starting with the four p4 is in an
 * issuer range, as the networks publish them: the reference the bank_card
 * validator's range table is held to. */
static bool card_range_reference(int p4, size_t n)
{
	int p3 = p4 / 10, p2 = p4 / 100;
	if (p4 >= 2221 && p4 <= 2720)
		return n == 16;                           /* Mastercard 2-series */
	if (p2 == 34 || p2 == 37)
		return n == 15;                           /* American Express */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16;                           /* JCB */
	if (p2 >= 40 && p2 <= 49)
		return n == 13 || n == 16 || n == 19;     /* Visa */
	if (p2 >= 51 && p2 <= 55)
		return n == 16;                           /* Mastercard */
	if (p2 == 62)
		return n >= 16;                           /* UnionPay */
	return (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) && n >= 16;   /* Discover */
}

/* Every four-digit prefix at every length from 13 to 19, the number
 * completed with its Luhn digit and with a wrong one: in a range, the
 * first passes and the second fails (weak for UnionPay); out of all
 * ranges both fail. */
static void test_card_ranges(void)
{
	for (int p4 = 0; p4 < 10000; p4++) {
		for (size_t n = 13; n <= 19; n++) {
			char d[20];
			snprintf(d, sizeof d, "%04d", p4);
			for (size_t i = 4; i < n - 1; i++)
				d[i] = (char)('0' + (i * 7 + (size_t)p4) % 10);
			for (char c = '0'; c <= '9'; c++) {
				d[n - 1] = c;
				if (validate_luhn_ok(d, n))
					break;
			}
			bool in = card_range_reference(p4, n);
			enum verdict good = validate_bank_card_check(d, n);
			d[n - 1] = (char)('0' + (d[n - 1] - '0' + 1) % 10);
			enum verdict bad = validate_bank_card_check(d, n);
			CHECK_MSG(good == (in ? VERDICT_PASS : VERDICT_FAIL), "%.*s: %d", (int)n, d, good);
			CHECK_MSG(bad == (!in ? VERDICT_FAIL : p4 / 100 == 62 ? VERDICT_WEAK : VERDICT_FAIL), "%.*s: %d",
				  (int)n, d, bad);
		}
	}
}

/* Every two-digit prefix of an 18-character resident ID (a real date, the
 * right check character): it passes exactly for the province-level codes
 * of GB/T 2260 and the five the layout was extended to. */
static void test_resident_id_provinces(void)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	for (int p = 0; p < 100; p++) {
		char id[19];
		snprintf(id, sizeof id, "%02d010519900307123", p);
		int sum = 0;
		for (int i = 0; i < 17; i++)
			sum += (id[i] - '0') * weights[i];
		id[17] = "10X98765432"[sum % 11];
		bool want = (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
			    (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
			    (p >= 81 && p <= 83) || p == 91;
		CHECK_MSG(validate_cn_resident_id_check(id, 18) == (want ? VERDICT_PASS : VERDICT_FAIL), "%.18s", id);
	}
}

/* The three-digit area codes, a bit set the compiler builds from their
 * list: all 700 from 300 to 999 after a trunk 0, of which the list holds
 * 318, its first and last among them and its gaps not. */
static void test_landline_area3(void)
{
	int pass = 0;
	for (int code = 300; code <= 999; code++) {
		char s[16];
		snprintf(s, sizeof s, "0%d-2345678", code);
		pass += validate_cn_landline_check(s, strlen(s)) == VERDICT_PASS;
	}
	CHECK_MSG(pass == 318, "%d three-digit area codes pass", pass);
	static const char *const yes[] = { "0310-2345678", "0755-2345678", "0574-7581937", "0999-2345678" };
	static const char *const no[] = { "0309-2345678", "0336-2345678", "0800-2345678", "0900-2345678" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		CHECK_MSG(validate_cn_landline_check(yes[i], strlen(yes[i])) == VERDICT_PASS, "%s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		CHECK_MSG(validate_cn_landline_check(no[i], strlen(no[i])) == VERDICT_FAIL, "%s", no[i]);
}

/* ipv4 against glibc's inet_pton(AF_INET), which takes exactly four
 * decimal octets of 0-255 without leading zeros: random strings over
 * digits, dots and a few other bytes, half of them dotted quads of 1-4
 * digit octets with a byte or two changed, every length to 17. */
static void test_ipv4_inet_pton(void)
{
	static const char alphabet[] = "0123456789.0125.a -:";
	unsigned seed = 777;
	size_t pass = 0;
	for (int round = 0; round < 400000; round++) {
		char s[32], z[33];
		size_t len = (lcg(&seed) >> 8) % 18;
		for (size_t i = 0; i < len; i++)
			s[i] = alphabet[(lcg(&seed) >> 16) % (sizeof alphabet - 1)];
		if (round % 2) {
			len = 0;
			for (int k = 0; k < 4; k++) {
				if (k)
					s[len++] = '.';
				append_run(s, &len, &seed, "0123456789012255", 4, 20);
			}
			for (unsigned k = (lcg(&seed) >> 8) % 3; k--; ) {
				lcg(&seed);
				s[(seed >> 8) % len] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
			}
		}
		memcpy(z, s, len);
		z[len] = '\0';
		unsigned char addr[4];
		enum verdict want = inet_pton(AF_INET, z, addr) == 1 ? VERDICT_PASS : VERDICT_FAIL;
		enum verdict got = validate_ipv4_check(s, len);
		pass += want == VERDICT_PASS;
		CHECK_MSG(got == want, "\"%.*s\" (%zu bytes): %d, inet_pton says %d", (int)len, s, len, got, want);
	}
	CHECK(pass > 5000);   /* the generator reaches valid addresses (~9,400) */
}

/* cn_address against the rule as first written, a substring search for
 * each token over the value's bytes, on generated values: runs of token
 * characters, other Han characters, digits, letters and the odd broken
 * byte, so that every token, its parts and its neighbours meet. */
static int has_bytes(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);
	for (size_t i = 0; i + wl <= len; i++)
		if (!memcmp(s + i, w, wl))
			return 1;
	return 0;
}

static enum verdict address_by_search(const char *s, size_t len)
{
	static const char *const region[] = { "省", "自治区", "市", "区", "县", "旗", "州", "盟" };
	static const char *const street[] = { "路", "街", "道", "巷", "弄", "胡同", "号", "村", "镇", "乡",
		"大厦", "小区", "苑", "栋", "幢", "单元", "室", "楼" };
	size_t han = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
		if (!n || i + n > len)
			return VERDICT_FAIL;
		long cp = n == 1 ? c : c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
		for (size_t k = 1; k < n; k++) {
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return VERDICT_FAIL;
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3F);
		}
		han += (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
		i += n;
	}
	if (han < 6)
		return VERDICT_FAIL;
	int r = 0, t = 0;
	for (size_t k = 0; k < sizeof region / sizeof *region; k++)
		r += has_bytes(s, len, region[k]);
	for (size_t k = 0; k < sizeof street / sizeof *street; k++)
		t += has_bytes(s, len, street[k]);
	return r >= 1 && t >= 1 && r + t >= 3 ? VERDICT_PASS : VERDICT_FAIL;
}

static void test_cn_address_differential(void)
{
	static const char *const parts[] = { "省", "自", "治", "区", "市", "县", "旗", "州", "盟", "路", "街", "道",
		"巷", "弄", "胡", "同", "号", "村", "镇", "乡", "大", "厦", "小", "苑", "栋", "幢", "单", "元", "室",
		"楼", "自治区", "胡同", "大厦", "小区", "单元", "北", "京", "海", "淀", "中", "关", "1", "8", "A", " ",
		"·", "\xe5", "\x80", "\xf0\x9f\x98\x80" };
	const struct validator *v = validator_find("cn_address");
	CHECK(v != NULL);
	unsigned seed = 157;
	char buf[128];
	int bad = 0, pass = 0;
	for (int round = 0; v && round < 200000; round++) {
		size_t len = 0, nparts = (size_t)(round % 19);
		for (size_t k = 0; k < nparts; k++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly the tokens and their characters, now and then
			 * the rest. */
			size_t pick = (seed >> 8) % 64;
			const char *w = parts[pick < 35 ? pick : 35 + (seed >> 16) % (sizeof parts / sizeof *parts - 35)];
			size_t wl = strlen(w);
			memcpy(buf + len, w, wl);
			len += wl;
		}
		enum verdict want = address_by_search(buf, len), got = v->check(buf, len);
		pass += want == VERDICT_PASS;
		if (got != want && ++bad <= 5)
			fprintf(stderr, "cn_address(\"%.*s\"): %d, by search %d\n", (int)len, buf, got, want);
	}
	CHECK_MSG(bad == 0, "%d of 200000 values judged differently", bad);
	CHECK_MSG(pass > 10000, "only %d of the generated values are addresses", pass);
}

TEST_MAIN(test_email_masks, test_ipv4_inet_pton, test_landline_area3, test_card_ranges, test_resident_id_provinces, test_normalizers_vector, test_check_digits_vector, test_cn_text, test_cn_address_differential, test_registry, test_cases, test_normalize_cap, test_identity, test_luhn,
	  test_luhn_pairs, test_all_digits,
	  test_single_substitution, test_transposition, test_resident_id_dates,
	  test_random_bytes)
