/* Test module: references symbols the test binds to chosen absolute values,
 * to provoke (or avoid) 32-bit overflows: PLT32 via call, 32S via address. */
extern int far_function(void);
extern int far_data;

int absref_call(void)
{
	return far_function() + 1;
}

unsigned long absref_address(void)
{
	return (unsigned long)&far_data;
}
