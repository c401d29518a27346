/*
 * MODULE_PROBE(name) defines name_probe(), which returns its own address:
 * called through the namespace after a swap, it tells which copy of the
 * module runs (the nano_core's or a re-loaded one).
 */
#ifndef NANOSWAP_PROBE_H
#define NANOSWAP_PROBE_H

#include <stdint.h>

#define MODULE_PROBE(name)                                                         \
	uint64_t name##_probe(void);                                               \
	uint64_t name##_probe(void)                                                \
	{                                                                          \
		return (uint64_t)(uintptr_t)&name##_probe;                        \
	}

#endif
