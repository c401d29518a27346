/* Test module: calls, data pointers, a jump table, statics, strings, weak
 * symbols and references to another crate (provider.c). */
extern int provider_value;
extern int provider_add(int a, int b);
extern int provider_array[4];
__attribute__((weak)) extern int optional_missing(void);
__attribute__((weak)) int basic_weak_default = 7;

static int counter;
static int table_of_values[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
const char *basic_greeting = "hello from basic";
int *basic_ptr_to_provider = &provider_value;
int *basic_ptr_to_static = &table_of_values[3];
int (*basic_fn_ptr)(int, int) = provider_add;

__attribute__((noinline)) static int helper(int x)
{
	counter += x;
	return counter * 3;
}

__attribute__((noinline)) int basic_switch(int x)
{
	switch (x) {
	case 0: return helper(11);
	case 1: return helper(22) + 1;
	case 2: return provider_add(x, 33);
	case 3: return provider_array[2] + 4;
	case 4: return table_of_values[x] - 5;
	case 5: return basic_greeting[0];
	case 6: return helper(66) ^ 0x55;
	case 7: return provider_value * 7;
	default: return -1;
	}
}

int basic_entry(int x)
{
	if (optional_missing)
		x += optional_missing();
	return basic_switch(x) + helper(x) + basic_fn_ptr(x, basic_weak_default);
}

const char *basic_string(void)
{
	return "a string literal in rodata";
}

unsigned long basic_address_of_counter(void)
{
	return (unsigned long)&counter;
}
