/*
 * The running kernel's side of tests/host/layout: memory's counters and a
 * static local, as a module has them. Each variant (swapped.c, ...) includes
 * this file with one LAYOUT_* macro defined, so that it differs in exactly one
 * way, and keeps every variable's size: the section sizes the swap compares
 * today cannot tell any of them apart.
 */
#include <stdint.h>

enum mem_state {
	MEM_BOOT,
#ifdef LAYOUT_ENUM_VALUE
	MEM_READY = 4,
#else
	MEM_READY,
#endif
	MEM_SWAPPED,
#ifdef LAYOUT_ENUM_ADDED
	MEM_RETIRED,
#endif
};

struct mem_counters {
	uint64_t frames_total;
#ifdef LAYOUT_SWAPPED
	uint64_t frames_used;
	uint64_t frames_reserved;
#else
	uint64_t frames_reserved;
	uint64_t frames_used;
#endif
	uint64_t table_frames;
	uint64_t pages_mapped;
	enum mem_state state;
#ifdef LAYOUT_PADDING
	uint32_t extra;		/* in the 4 bytes of tail padding: still 48 bytes */
#endif
};

struct mem_counters mem_counters;

/* gcc names the static local's symbol p.0 */
int layout_bump(void)
{
#ifdef LAYOUT_LOCAL_TYPE
	static unsigned int p;
#else
	static int p;
#endif
	return (int)++p;
}
