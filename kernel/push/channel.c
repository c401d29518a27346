/*
 * COM2, the push channel's wire: its receive interrupt moves bytes into a
 * ring (pausing the interrupt when the ring is full, so the rest waits in
 * the UART and in QEMU), and the "push" thread feeds them to the frame
 * receiver, answers each frame on COM2 and says it on the console. A frame
 * that stalls for PUSH_TIMEOUT_MS is dropped as truncated: the kernel never
 * waits on a half upload.
 */
#include <console/console.h>
#include <console/format.h>
#include <heap/heap.h>
#include <interrupts/irq.h>
#include <lib/spinlock.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <nanoswap/probe.h>
#include <nanoswap/swap_hook.h>
#include <push/frame.h>
#include <sched/sched.h>
#include <stdarg.h>
#include "push_internal.h"

MODULE_PROBE(push)

#define UART_DATA	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20
#define RING		16384
#define IDLE_SLEEP_MS	2

static uint8_t ring[RING];
static volatile uint32_t head, tail;	/* producer: the interrupt; consumer: the thread */
static volatile bool paused;
static struct spinlock rx_lock = SPINLOCK_INIT("push rx");
static struct push_rx rx;
static struct push_stats stats;
static bool started;
static bool resync;	/* a frame was refused: its rest is dropped, up to the next magic */
static uint32_t window;	/* (the last four bytes dropped) */

static void com2_put(const char *s)
{
	for (; *s; s++) {
		while (!(inb(PUSH_COM2 + UART_LSR) & LSR_THR_EMPTY))
			;
		outb(PUSH_COM2 + UART_DATA, (uint8_t)*s);
	}
}

/* The answer, on COM2 and the console. */
static void push_answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void push_answer(const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	com2_put(line);
	com2_put("\n");
	kprintf("push: %s\n", line);
}

/* COM2's receive interrupt: into the ring, until it is full. */
static void push_rx_irq(void)
{
	uint64_t f = spin_lock_irqsave(&rx_lock);

	while (inb(PUSH_COM2 + UART_LSR) & LSR_DATA_READY) {
		if (head - tail == RING) {
			paused = true;
			outb(PUSH_COM2 + UART_IER, 0x00);	/* (the rest waits in the UART) */
			break;
		}
		ring[head % RING] = inb(PUSH_COM2 + UART_DATA);
		__atomic_store_n(&head, head + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&rx_lock, f);
}

/* A whole frame arrived and checked: keep it. */
static void push_accept(void)
{
	uint32_t crc = push_crc32(push_crc32(0, rx.name, strlen(rx.name)), rx.data, rx.size);
	enum err e = push_store(rx.name, rx.data, rx.size, crc);

	if (e != E_OK) {
		kfree(rx.data);
		stats.refused++;
		push_answer("error %s: %s (upload %s not kept)", err_name(e), err_msg(e), rx.name);
		return;
	}
	stats.accepted++;
	stats.bytes += rx.size;
	push_answer("ok %s %u %08x", rx.name, rx.size, crc);
}

/* Feed what the ring holds; true if it held anything. */
static bool push_drain(void)
{
	uint32_t h = __atomic_load_n(&head, __ATOMIC_ACQUIRE), t = tail;

	if (h == t)
		return false;
	while (t != h) {
		uint32_t n = h - t, at = t % RING;
		size_t used = 0;
		bool done = false;
		enum err e;

		if (resync) {	/* (one answer per frame, not one per byte) */
			window = window << 8 | ring[at];
			t++;
			if (window == ('N' << 24 | 'S' << 16 | 'P' << 8 | '1')) {
				resync = false;	/* the next frame's magic: fed, then the rest */
				if (push_rx_feed(&rx, (const uint8_t *)PUSH_MAGIC, 4, &used,
						 &done) != E_OK)
					panic("BUG: push: the magic refused");
			}
			continue;
		}
		if (n > RING - at)
			n = RING - at;	/* (to the ring's end, then from its start) */
		e = push_rx_feed(&rx, ring + at, n, &used, &done);
		t += used ? (uint32_t)used : 1;
		if (e != E_OK) {
			stats.frames++;
			stats.refused++;
			push_answer("error %s: %s (nothing kept)", err_name(e), err_msg(e));
			(void)push_rx_abort(&rx);
			resync = true;	/* (its rest is dropped, up to the next magic) */
			window = 0;
		} else if (done) {
			stats.frames++;
			push_accept();
		}
	}
	__atomic_store_n(&tail, t, __ATOMIC_RELEASE);
	if (paused && head - tail <= RING / 2) {
		uint64_t f = spin_lock_irqsave(&rx_lock);

		paused = false;
		outb(PUSH_COM2 + UART_IER, 0x01);
		spin_unlock_irqrestore(&rx_lock, f);
		push_rx_irq();	/* (what waited in the UART) */
	}
	return true;
}

static void push_thread(void *arg)
{
	unsigned idle_ms = 0;

	(void)arg;
	for (;;) {
		if (push_drain()) {
			idle_ms = 0;
			continue;
		}
		thread_sleep_ms(IDLE_SLEEP_MS);
		idle_ms += IDLE_SLEEP_MS;
		if (idle_ms >= PUSH_TIMEOUT_MS && push_rx_abort(&rx)) {
			stats.frames++;
			stats.refused++;
			push_answer("error %s: %s: no byte for %u ms (nothing kept)",
				    err_name(E_PUSH_TRUNCATED), err_msg(E_PUSH_TRUNCATED),
				    PUSH_TIMEOUT_MS);
		}
	}
}

/* The receiver's allocator: this module's own functions, so that the data
 * names no other module's code (a swap of heap would keep its old copy for
 * a pointer here); the swap hook points them at the new copy's. */
static void *push_alloc(size_t n)
{
	return kmalloc(n);
}

static void push_free(void *p)
{
	kfree(p);
}

static enum err push_route(void)
{
	rx.alloc = push_alloc;
	rx.free = push_free;
	return started ? irq_register_isa(PUSH_IRQ, push_rx_irq) : E_OK;
}
SWAP_HOOK(push_route);

enum err push_init(void)
{
	enum err e;

	outb(PUSH_COM2 + UART_IER, 0x00);
	outb(PUSH_COM2 + UART_LCR, 0x80);	/* DLAB: divisor 1, 115200 baud */
	outb(PUSH_COM2 + UART_DATA, 0x01);
	outb(PUSH_COM2 + UART_IER, 0x00);
	outb(PUSH_COM2 + UART_LCR, 0x03);	/* 8N1 */
	outb(PUSH_COM2 + UART_FCR, 0xC7);	/* FIFO on, cleared, trigger 14 */
	outb(PUSH_COM2 + UART_MCR, 0x0B);	/* DTR, RTS, OUT2 (the IRQ line) */
	push_rx_init(&rx, push_alloc, push_free);
	started = true;
	if ((e = push_route()) != E_OK)
		return e;
	outb(PUSH_COM2 + UART_IER, 0x01);	/* receive interrupt */
	return thread_create("push", push_thread, NULL, NULL);
}

void push_get_stats(struct push_stats *out)
{
	*out = stats;
}
