/*
 * Frame-pointer backtraces (every kernel object is built with
 * -fno-omit-frame-pointer), symbolized from the kernel's symbol table.
 */
#ifndef INTERRUPTS_BACKTRACE_H
#define INTERRUPTS_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

#define BACKTRACE_MAX_FRAMES	32

/*
 * Collect up to max return addresses by walking the rbp chain from rbp. Stops
 * at a zero or misaligned rbp or one outside the known kernel stacks.
 * Returns the number of addresses stored.
 */
unsigned backtrace_collect(uint64_t rbp, uint64_t *pcs, unsigned max);

/* Print "  #N  <addr> <symbol>+<offset>" lines for the chain at rbp. */
void backtrace_print(uint64_t rbp);

/* Print one address as "<addr> symbol+0xoff" (or "<addr> ?"). */
void backtrace_print_addr(uint64_t addr);

/* Who names addresses for backtraces and fault reports: registered by the
 * crates module (which uses interrupts, so interrupts cannot call it by
 * name); until then addresses print bare. Both return false for unknown. */
struct interrupts_symbolizer {
	bool (*symbolize)(uint64_t addr, const char **name, uint64_t *offset);
	bool (*section_at)(uint64_t addr, const char **crate, const char **section,
			   uint64_t *offset);
};
void interrupts_set_symbolizer(const struct interrupts_symbolizer *s);

/* Name addr as backtraces do (false: no symbolizer yet, or unknown). */
bool backtrace_symbolize(uint64_t addr, const char **name, uint64_t *offset);

#endif
