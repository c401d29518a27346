/*
 * Frame-pointer backtraces (every kernel object is built with
 * -fno-omit-frame-pointer), symbolized from the kernel's symbol table.
 */
#ifndef INTERRUPTS_BACKTRACE_H
#define INTERRUPTS_BACKTRACE_H

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

#endif
