/*
 * An object built outside the kernel tree's module rules (plain gcc -c with
 * the code-model flags a loadable crate needs), handed to the ISO the way a
 * user would: make iso MODULES=build/ext/ext_hello.o. The shell test loads
 * it by its basename and checks that it binds to the live kernel.
 */
#include <console/console.h>
#include <heap/heap.h>

int ext_hello_calls;

int ext_hello_greet(const char *who)
{
	char *copy = kmalloc(16);

	kprintf("ext_hello: hello, %s\n", who);
	kfree(copy);
	return ++ext_hello_calls;
}
