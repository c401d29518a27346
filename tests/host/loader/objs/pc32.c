/* Test module: a rip-relative load (R_X86_64_PC32) of a symbol the test
 * places out of reach, to provoke a signed 32-bit overflow. */
extern int far_var;

int pc32_load(void)
{
	return far_var;
}
