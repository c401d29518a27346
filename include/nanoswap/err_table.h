/*
 * The definitions of err_name() and err_msg(): the name and message tables
 * of enum err, generated from the one X-macro list in err.h beside it.
 * Include it in exactly one file per program: kernel/lib/err.c in the
 * kernel, loader/host/err.c in every host program (tests and tools).
 */
#ifndef NANOSWAP_ERR_TABLE_H
#define NANOSWAP_ERR_TABLE_H

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

#endif
