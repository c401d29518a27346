/* Test module: uses provider_weak_fn, whichever definition is visible. */
extern int provider_weak_fn(void);

int user_call(void)
{
	return provider_weak_fn() + 100;
}
