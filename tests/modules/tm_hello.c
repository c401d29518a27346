/* Test crate: calls into the nano_core (kprintf, kmalloc, kfree, memcpy). */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/string.h>

static const char greeting[] = "hello from a loaded crate";

/* Sum of the greeting's bytes plus n, computed in a kmalloc'd copy. */
int tm_hello_run(int n)
{
	char *buf = kmalloc(sizeof(greeting));
	int sum = n;

	if (!buf)
		return -1;
	memcpy(buf, greeting, sizeof(greeting));
	kprintf("tm_hello: %s (n=%d)\n", buf, n);
	for (size_t i = 0; buf[i]; i++)
		sum += buf[i];
	kfree(buf);
	return sum;
}
