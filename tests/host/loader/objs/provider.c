/* Test module: the crate basic.c depends on. */
int provider_value = 42;
int provider_array[4] = { 10, 20, 30, 40 };
static int counter; /* same name as basic.c's: merged by ld -r, apart with --unique */

int provider_add(int a, int b)
{
	counter++;
	return a + b + provider_array[counter & 3];
}

__attribute__((weak)) int provider_weak_fn(void)
{
	return 1;
}
