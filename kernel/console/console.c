/*
 * kprintf and log levels on top of the serial port and the VGA mirror
 * (panic is in panic.c). Formatting itself lives in format.c so the host
 * tests can check it.
 */
#include <console/console.h>
#include <console/format.h>
#include <lib/string.h>
#include "console_internal.h"
#include <nanoswap/probe.h>
#include <lib/spinlock.h>

MODULE_PROBE(console)

static enum log_level console_level = LOG_INFO;
static unsigned long errors;	/* console_errors */
static char *capture;		/* console_capture: [capture_len] of [capture_size] */
static unsigned long capture_size, capture_len;

/* One message at a time: threads and interrupt handlers print whole lines
 * (recursive: a fault report may come while a message is half out). */
static struct rspinlock console_lock = RSPINLOCK_INIT("console");

/* COM1's receive interrupt fills the ring; the reader empties it. Until the
 * interrupt is on (console_rx_irq_on), console_getc polls the UART as before. */
#define RX_RING	1024	/* a power of two */
static char rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;	/* head: next write; tail: next read */
static bool rx_irq_on, rx_paused;	/* paused: the ring was full, the UART holds the rest */
static void (*rx_wait)(bool (*ready)(void));	/* console_set_input_waiter */
static void (*rx_wake)(void);

static const char *const level_names[] = {
	[LOG_ERR] = "err", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static void console_sink(void *ctx, char c)
{
	(void)ctx;
	serial_putc(c);
	vga_putc(c);
	if (capture && capture_len + 1 < capture_size) {
		capture[capture_len++] = c;
		capture[capture_len] = '\0';
	}
}

void console_capture(char *buf, unsigned long size)
{
	uint64_t flags = rspin_lock_irqsave(&console_lock);	/* (another CPU may print) */

	capture = size ? buf : NULL;
	capture_size = size;
	capture_len = 0;
	if (capture)
		capture[0] = '\0';
	rspin_unlock_irqrestore(&console_lock, flags);
}

void console_init(void)
{
	serial_init();
	vga_clear();
}

void kvprintf(const char *fmt, va_list ap)
{
	uint64_t flags = rspin_lock_irqsave(&console_lock);

	fmt_vformat(console_sink, NULL, fmt, ap);
	rspin_unlock_irqrestore(&console_lock, flags);
}

void console_lock_break(void)
{
	spin_forget(this_cpu(), &console_lock.lock);
	console_lock.depth = 0;
	console_lock.lock.owner = 0;
	console_lock.lock.locked = 0;
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	uint64_t flags;

	if (level == LOG_ERR)
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);	/* (from every CPU) */
	if (level > console_level)
		return;
	flags = console_hold();	/* (prefix and message: one line, whatever other CPUs print) */
	if (level == LOG_ERR)
		kprintf("error: ");
	else if (level == LOG_WARN)
		kprintf("warning: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	console_release(flags);
}

uint64_t console_hold(void)
{
	return rspin_lock_irqsave(&console_lock);
}

void console_release(uint64_t flags)
{
	rspin_unlock_irqrestore(&console_lock, flags);
}

/* The receive ring's producer: the interrupt, or a reader that unpaused it
 * (on another CPU, maybe at once). */
static struct spinlock rx_lock = SPINLOCK_INIT("console rx");

void console_rx_irq(void)
{
	uint64_t flags = spin_lock_irqsave(&rx_lock);
	char c;

	for (;;) {
		if (rx_head - rx_tail == RX_RING) {	/* full: leave the rest in the UART */
			rx_paused = true;		/* (and on the host: nothing is lost) */
			serial_rx_interrupt(false);
			break;
		}
		if (!serial_try_getc(&c))
			break;
		rx_ring[rx_head % RX_RING] = c;
		__atomic_store_n(&rx_head, rx_head + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&rx_lock, flags);
	if (rx_wake)
		rx_wake();
}

void console_rx_irq_on(void)
{
	uint64_t flags = irq_save();

	rx_irq_on = true;
	serial_rx_interrupt(true);
	console_rx_irq();	/* what arrived before the interrupt was on */
	irq_restore(flags);
}

static bool rx_ready(void)
{
	return __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE) != rx_tail;
}

void console_set_input_waiter(void (*wait)(bool (*ready)(void)), void (*wake)(void))
{
	rx_wait = wait;
	rx_wake = wake;
}

bool console_try_getc(char *c)
{
	if (!rx_irq_on)
		return serial_try_getc(c);
	if (!rx_ready())
		return false;
	*c = rx_ring[rx_tail % RX_RING];
	__atomic_store_n(&rx_tail, rx_tail + 1, __ATOMIC_RELEASE);
	if (rx_paused && rx_head - rx_tail <= RX_RING / 2) {
		uint64_t flags = irq_save();

		rx_paused = false;
		serial_rx_interrupt(true);	/* (the UART interrupts at once if it holds bytes) */
		console_rx_irq();
		irq_restore(flags);
	}
	return true;
}

char console_getc(void)
{
	char c;

	while (!console_try_getc(&c)) {
		if (rx_irq_on && rx_wait)
			rx_wait(rx_ready);	/* sleeps until the interrupt brings a byte */
		else
			__asm__ volatile("pause");
	}
	return c;
}



unsigned long console_errors(void)
{
	return errors;
}

enum log_level console_get_level(void)
{
	return console_level;
}

const char *console_level_name(enum log_level level)
{
	return (unsigned)level < sizeof(level_names) / sizeof(level_names[0]) ?
	       level_names[level] : "?";
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

enum err console_parse_level(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return E_OK;
		}
	}
	return E_LOG_UNKNOWN_LEVEL;
}
