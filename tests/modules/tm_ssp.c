/*
 * A crate built as x86_64 Linux builds its objects' stack protector
 * (-fstack-protector-all -mstack-protector-guard=tls, reg gs, offset 40:
 * Linux's fixed_percpu_data): every function reads its canary from
 * %gs:0x28 on entry and checks it before it returns, calling
 * __stack_chk_fail on a mismatch. tm_ssp_sum runs clean on any CPU;
 * tm_ssp_smash overwrites its own canary (gcc keeps it at -8(%rbp));
 * tm_ssp_loop runs long enough to be preempted and moved.
 */
#include <stdint.h>

unsigned long tm_ssp_sum(const char *s);
void tm_ssp_smash(uint64_t value);

unsigned long tm_ssp_sum(const char *s)
{
	char buf[32];
	unsigned long sum = 0;
	unsigned n = 0;

	for (; s[n] && n < sizeof(buf) - 1; n++)
		buf[n] = s[n];
	buf[n] = '\0';
	for (unsigned i = 0; buf[i]; i++)
		sum = sum * 31 + (unsigned char)buf[i];
	return sum;
}

void tm_ssp_smash(uint64_t value)
{
	volatile char buf[16];

	buf[0] = (char)value;	/* (an array: the protector guards this frame) */
	(void)buf[0];
	*(volatile uint64_t *)((char *)__builtin_frame_address(0) - 8) = value;
}

/* A long-lived protected frame (its canary checked once, at the end) that
 * calls protected functions all along: a thread running it is preempted,
 * and may move to another CPU, many times in between. */
unsigned long tm_ssp_loop(unsigned long n);
unsigned long tm_ssp_loop(unsigned long n)
{
	char buf[16];
	unsigned long sum = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	for (unsigned long i = 0; i < n; i++) {
		buf[i % sizeof(buf)] = (char)i;
		sum += tm_ssp_sum("migrate") + (unsigned char)buf[(i * 7) % sizeof(buf)];
	}
	return sum;
}
