/*
 * Names and messages of enum err, generated from the one X-macro list in
 * include/nanoswap/err.h. Pure C: the host tests and tools compile it too.
 */
#include <nanoswap/err.h>

static const char *const err_names[] = {
#define ERR_NAME(name, msg) [E_##name] = #name,
	ERR_LIST(ERR_NAME)
#undef ERR_NAME
};

static const char *const err_msgs[] = {
#define ERR_MSG(name, msg) [E_##name] = msg,
	ERR_LIST(ERR_MSG)
#undef ERR_MSG
};

const char *err_name(enum err e)
{
	return (unsigned)e < E__COUNT ? err_names[e] : "?";
}

const char *err_msg(enum err e)
{
	return (unsigned)e < E__COUNT ? err_msgs[e] : "unknown error code";
}
