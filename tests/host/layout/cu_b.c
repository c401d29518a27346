/* The second `counter` (see cu_a.c): a long, at offset 8 of .bss.counter. */
static long counter;

long *cu_b_counter(void)
{
	return &counter;
}
