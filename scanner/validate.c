/* The validator registry: every validator the rules can name, in one
 * static table. Part of the validate stage; the validators themselves
 * live in validate_<family>.c. */
#include <string.h>

#include "validate.h"
#include "validate_impl.h"

/* Several validators share a normaliser: identifiers whose normal form is
 * "letters and digits, upper case" (ids, codes, IBAN), numbers whose normal
 * form is "the digits" (cards, IMEI), text compared case-insensitively
 * (e-mail, IPv6). */
static const struct validator validators[] = {
	{ "cn_resident_id", validate_cn_resident_id_check, validate_keep_alnum_upper },
	{ "bank_card",      validate_bank_card_check,      validate_keep_digits },
	{ "imei",           validate_imei_check,           validate_keep_digits },
	{ "cn_mobile",      validate_cn_mobile_check,      validate_cn_mobile_normalize },
	{ "cn_landline",    validate_cn_landline_check,    validate_cn_landline_normalize },
	{ "cn_uscc",        validate_cn_uscc_check,        validate_keep_alnum_upper },
	{ "email",          validate_email_check,          validate_copy_lower },
	{ "ipv4",           validate_ipv4_check,           validate_normalize_identity },
	{ "ipv6",           validate_ipv6_check,           validate_copy_lower },
	{ "mac",            validate_mac_check,            validate_mac_normalize },
	{ "cn_passport",    validate_cn_passport_check,    validate_normalize_identity },
	{ "cn_plate",       validate_cn_plate_check,       validate_cn_plate_normalize },
	{ "hk_id",          validate_hk_id_check,          validate_keep_alnum_upper },
	{ "tw_id",          validate_tw_id_check,          validate_keep_alnum_upper },
	{ "aws_access_key", validate_aws_access_key_check, validate_normalize_identity },
	{ "iban",           validate_iban_check,           validate_keep_alnum_upper },
	{ "cn_name",        validate_cn_name_check,        validate_normalize_identity },
	{ "cn_address",     validate_cn_address_check,     validate_normalize_identity },
	{ "cn_postal_code", validate_cn_postal_code_check, validate_normalize_identity },
	{ "qq_number",      validate_qq_number_check,      validate_normalize_identity },
};

#define VALIDATOR_COUNT (sizeof validators / sizeof validators[0])

const struct validator *validator_find(const char *name)
{
	/* Looked up once per rule at load time, so a linear scan is enough. */
	for (size_t i = 0; i < VALIDATOR_COUNT; i++)
		if (strcmp(validators[i].name, name) == 0)
			return &validators[i];
	return NULL;
}

const struct validator *validator_all(size_t *count)
{
	*count = VALIDATOR_COUNT;
	return validators;
}

size_t validate_normalize_identity(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = len < dst_cap ? len : dst_cap;

	if (n)
		memcpy(dst, s, n);
	return n;
}
