/*
 * The types a module's data and interface reach through pointers: a
 * self-referential list, two structs that point at each other, a struct with
 * a union, an array and a nested struct, an anonymous struct, a flexible
 * array member, an opaque type, all behind pointers; and global functions
 * whose parameter is a pointer. Each LAYOUT_* variant (ptr_*.c) changes one
 * thing behind a pointer and keeps every variable's size: the variables' own
 * rows are the same, only following the pointers tells them apart.
 */
#include <stdint.h>

struct block {				/* behind free_list, and behind itself */
#ifdef LAYOUT_BEHIND
	uint64_t magic;
	uint64_t size;
#else
	uint64_t size;
	uint64_t magic;
#endif
	struct block *next;
};
struct block *free_list;
struct block *bins[4];			/* an array of pointers */

struct ring {				/* a cycle: next and prev lead back here */
	struct ring *next, *prev;
#ifdef LAYOUT_CYCLE
	unsigned int key;
#else
	int key;
#endif
};
struct ring *ring_head;

struct pong;
struct ping {				/* ping -> pong -> ping */
	struct pong *pong;
	int hits;
};
struct pong {
	struct ping *ping;
#ifdef LAYOUT_CHAIN
	short misses, spare;
#else
	int misses;
#endif
};
struct ping *table_ping;

union value {
#ifdef LAYOUT_UNION
	unsigned long word;
#else
	long word;
#endif
	struct block *blk;
};
struct outer {
	union value v;
	struct inner {
#ifdef LAYOUT_NESTED
		short b, a;
#else
		short a, b;
#endif
	} in[2];
	unsigned int flags : 3;
};
struct outer *outer_p;

struct {				/* anonymous, behind a pointer */
#ifdef LAYOUT_ANON
	int y, x;
#else
	int x, y;
#endif
} *anon_p;

struct item {
#ifdef LAYOUT_FLEX
	int b, a;
#else
	int a, b;
#endif
};
struct chunk {
	unsigned long n;
	struct item items[];		/* past struct chunk: its element is a ref */
};
struct chunk *chunk_p;

#ifdef LAYOUT_OPAQUE_RENAMED
struct hidden_other;
struct hidden_other *hidden_p;
#else
#ifdef LAYOUT_OPAQUE_DEFINED
struct hidden { int inside; };		/* the same name, now defined: compared by name */
#endif
struct hidden;
struct hidden *hidden_p;
#endif

/* The interface: a parameter's struct, a signature. */
struct stats {
#ifdef LAYOUT_PARAM
	uint64_t free, used;
#else
	uint64_t used, free;
#endif
};
void ptrs_get_stats(struct stats *out)
{
	out->used = 1;
	out->free = 2;
}

#ifdef LAYOUT_SIGNATURE
int ptrs_count(long n)
#else
int ptrs_count(int n)
#endif
{
	return (int)n + (free_list != 0);
}
