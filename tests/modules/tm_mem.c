/* Test crate loaded after the swap: it calls memory functions, so its
 * references must bind to the re-loaded copy of memory, not the nano_core's. */
#include <memory/memory.h>

/* Allocate and free one frame; 0 on success. */
int tm_mem_cycle(void)
{
	uint64_t pa;

	if (frame_alloc(&pa) != E_OK)
		return -1;
	frame_free(pa);
	return 0;
}
