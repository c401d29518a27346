/* Linked in front of base.o (moved.o): a variable in the section of
 * memory's counters, which then start further in. */
__attribute__((section(".bss.mem_counters"), used)) static unsigned long in_front;
