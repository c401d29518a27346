/* Linked into a variant of memory.o: one more static variable in the same
 * section as memory's counters, so that section grows. A swap must refuse it,
 * naming the section and both sizes. */
__attribute__((section(".bss.mem_counters"), used)) static unsigned long layout_grown_extra;
