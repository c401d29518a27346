/*
 * What a broken lock says: lib is
 * below every module, so spin_bug writes to COM1 itself (the console's own
 * lock may be the one taken twice) and stops QEMU with the panic status.
 */
#include <lib/spinlock.h>

static void spin_bug_puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(0x3F8 + 5) & 0x20))
			;
		outb(0x3F8, (uint8_t)*s);
	}
}

void spin_bug(const struct spinlock *l)
{
	irq_disable();
	spin_bug_puts("\r\nPANIC: BUG: spinlock ");
	spin_bug_puts(l->name ? l->name : "?");
	spin_bug_puts(" taken twice on one CPU (it would deadlock)\r\n");
	qemu_exit(QEMU_EXIT_PANIC);
	cpu_halt_forever();
}

void spin_bug_msg(const char *what)
{
	irq_disable();
	spin_bug_puts("\r\nPANIC: BUG: ");
	spin_bug_puts(what);
	spin_bug_puts("\r\n");
	qemu_exit(QEMU_EXIT_PANIC);
	cpu_halt_forever();
}
