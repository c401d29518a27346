/*
 * panic(): report, print the backtrace the interrupts module registered
 * (console cannot call it by name: interrupts uses console), and stop QEMU
 * with QEMU_EXIT_PANIC.
 */
#include <console/console.h>
#include <lib/x86.h>

static void (*panic_backtrace)(uint64_t rbp);	/* console_set_backtrace */
static int in_panic;

void console_set_backtrace(void (*print)(uint64_t rbp))
{
	panic_backtrace = print;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	__asm__ volatile("cli");
	if (in_panic++) {	/* panicked while panicking: just stop */
		qemu_exit(QEMU_EXIT_PANIC);
		cpu_halt_forever();
	}
	console_lock_break();	/* (a panic inside kprintf, or another CPU's) */
	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	if (panic_backtrace)
		panic_backtrace((uint64_t)__builtin_frame_address(0));
	qemu_exit(QEMU_EXIT_PANIC);
	cpu_halt_forever();
}
