/* With cu_b.c and asm_data.S in one `ld -r` object: two file statics named
 * `counter`, of different types, in one merged section .bss.counter. */
static int counter;

int *cu_a_counter(void)
{
	return &counter;
}
