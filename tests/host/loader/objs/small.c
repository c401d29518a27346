/* Test module compiled with -mcmodel=small: its R_X86_64_32 address loads
 * cannot reach the module area, so loading it must fail with an overflow. */
int small_var;

unsigned int small_address(void)
{
	return (unsigned int)(unsigned long)&small_var;
}
