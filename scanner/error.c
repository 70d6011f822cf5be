/* Text for the error codes listed in error.h. */
#include "error.h"

const char *piiscan_strerror(int code)
{
	switch (code) {
	case PIISCAN_OK:
		return "success";
#define PIISCAN_ERROR_TEXT(c, msg) case PIISCAN_##c: return msg;
	PIISCAN_ERRORS(PIISCAN_ERROR_TEXT)
#undef PIISCAN_ERROR_TEXT
	default:
		return "unknown error";
	}
}
