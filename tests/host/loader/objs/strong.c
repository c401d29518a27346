/* Test module: a strong definition of provider.c's weak provider_weak_fn. */
int provider_weak_fn(void)
{
	return 2;
}
