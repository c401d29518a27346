/*
 * Test crate with state: initialised data, bss, a table of function pointers
 * (absolute relocations in read-only data), a function pointer in writable
 * data, a string literal pointer and a switch with a jump table.
 */
int tm_data_counter = 5;
static int tm_bss_words[100];

static int op_add(int a, int b) { return a + b; }
static int op_mul(int a, int b) { return a * b; }
static int op_sub(int a, int b) { return a - b; }

int (*const tm_data_ops[3])(int, int) = { op_add, op_mul, op_sub };
int (*tm_data_hook)(int, int) = op_mul;
const char *tm_data_name = "tm_data";

int tm_data_apply(int op, int a, int b)
{
	return tm_data_ops[op % 3](a, b);
}

int tm_data_call_hook(int a, int b)
{
	return tm_data_hook(a, b);
}

int tm_data_bump(void)
{
	return ++tm_data_counter;
}

void tm_data_bss_set(int i, int v)
{
	tm_bss_words[i % 100] = v;
}

int tm_data_bss_sum(void)
{
	int sum = 0;

	for (int i = 0; i < 100; i++)
		sum += tm_bss_words[i];
	return sum;
}

/* Dense cases: gcc emits a jump table of absolute (R_X86_64_32S) addresses. */
int tm_data_classify(int x)
{
	switch (x) {
	case 0: return 11;
	case 1: return 23;
	case 2: return 37;
	case 3: return 41;
	case 4: return 59;
	case 5: return 67;
	case 6: return 73;
	case 7: return 89;
	default: return -1;
	}
}
