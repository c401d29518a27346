/*
 * Test crate built with -mcmodel=small: it takes a kernel address in a 32-bit
 * zero-extended immediate (R_X86_64_32), which cannot reach the top 2 GiB.
 * Loading must fail with a relocation overflow.
 */
extern void kprintf(const char *fmt, ...);

unsigned long tm_far_addr(void)
{
	return (unsigned long)&kprintf;
}
