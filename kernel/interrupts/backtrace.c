/*
 * Frame-pointer backtraces. With -fno-omit-frame-pointer every frame starts
 * with [saved rbp][return address]; the boot stub zeroes rbp so the chain ends.
 * A frame pointer outside the known stacks ends the walk instead of faulting.
 */
#include <console/console.h>
#include <interrupts/backtrace.h>
#include "interrupts_internal.h"

unsigned backtrace_collect(uint64_t rbp, uint64_t *pcs, unsigned max)
{
	unsigned n = 0;

	while (n < max && rbp) {
		if ((rbp & 7) == TRAP_FRAME_MARK && stack_contains(rbp - 1, sizeof(struct trap_frame))) {
			const struct trap_frame *tf = (const void *)(rbp - 1);

			pcs[n++] = tf->rip + 1;	/* (as if a return address: its pc - 1 names it) */
			rbp = tf->rbp;		/* the interrupted context's chain */
			continue;
		}
		if ((rbp & 7) || !stack_contains(rbp, 16))
			break;
		const uint64_t *frame = (const uint64_t *)rbp;
		if (!frame[1])
			break;
		pcs[n++] = frame[1];
		if (frame[0] <= rbp)	/* stacks grow down: callers sit higher */
			break;
		rbp = frame[0];
	}
	return n;
}

static const struct interrupts_symbolizer *symbolizer;

void interrupts_set_symbolizer(const struct interrupts_symbolizer *s)
{
	symbolizer = s;
}

/* Name addr with the registered symbolizer (false: none, or unknown). */
bool backtrace_symbolize(uint64_t addr, const char **name, uint64_t *offset)
{
	return symbolizer && symbolizer->symbolize(addr, name, offset);
}

bool interrupts_section_at(uint64_t addr, const char **crate, const char **section,
			   uint64_t *offset)
{
	return symbolizer && symbolizer->section_at(addr, crate, section, offset);
}

void backtrace_print_addr(uint64_t addr)
{
	const char *name;
	uint64_t off;

	if (backtrace_symbolize(addr, &name, &off))
		kprintf("%p %s+0x%lx", (void *)addr, name, off);
	else
		kprintf("%p ?", (void *)addr);
}

void backtrace_print(uint64_t rbp)
{
	uint64_t pcs[BACKTRACE_MAX_FRAMES];
	unsigned n = backtrace_collect(rbp, pcs, BACKTRACE_MAX_FRAMES);

	for (unsigned i = 0; i < n; i++) {
		kprintf("    #%u  ", i);
		/* a return address points after the call: symbolize the call itself */
		backtrace_print_addr(pcs[i] - 1);
		kprintf("\n");
	}
	if (n == 0)
		kprintf("    (no frames)\n");
}
