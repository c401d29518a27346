/*
 * The kernel console: COM1 (16550) with a VGA text-mode mirror, kprintf,
 * log levels, input from COM1 and panic(). Works from the first line of
 * kernel_main on.
 */
#ifndef CONSOLE_CONSOLE_H
#define CONSOLE_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <nanoswap/err.h>

enum log_level {
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Program COM1 (115200 8N1) and clear the VGA screen. */
void console_init(void);

/* Hold the console across several prints (one report, unmixed with what
 * other CPUs print); the flags to release it with. */
uint64_t console_hold(void);
void console_release(uint64_t flags);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

/* Print fmt with a level prefix ("error: ", "warning: ") if level is enabled. */
void klog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Messages above this level are dropped; LOG_INFO by default. */
void console_set_level(enum log_level level);
enum log_level console_get_level(void);
/* How many pr_err messages there have been (tests: a failure was said). */
unsigned long console_errors(void);
/* Tests: also copy everything the console prints into buf[size] (always
 * NUL-terminated, cut at size - 1) until console_capture(NULL, 0). */
void console_capture(char *buf, unsigned long size);
/* "err", "warn", "info" or "debug". */
const char *console_level_name(enum log_level level);
/* Parse "err", "warn", "info" or "debug": E_OK, or E_LOG_UNKNOWN_LEVEL. */
enum err console_parse_level(const char *name, enum log_level *out) NS_MUST_CHECK;

#define pr_err(...)	klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	klog(LOG_DEBUG, __VA_ARGS__)

/*
 * Wait for the next byte from COM1. Polled until console_rx_irq_on; then
 * the receive interrupt fills a ring buffer and the reader sleeps through
 * the registered waiter. Bytes that arrived earlier wait in the UART or, in
 * QEMU, on the host side, never dropped.
 */
char console_getc(void);
/* A byte if one is waiting (false: none yet). */
bool console_try_getc(char *c);
/* COM1's receive interrupt handler (init routes the IRQ to it). */
void console_rx_irq(void);
/* Turn the receive interrupt on: from here input goes through the ring. */
void console_rx_irq_on(void);
/* How the reader sleeps and the interrupt wakes it (the scheduler registers
 * them: the console cannot call it by name). wait returns once ready() is
 * true or it was woken. */
void console_set_input_waiter(void (*wait)(bool (*ready)(void)), void (*wake)(void));
/* panic's: let go of the console lock, whoever held it. */
void console_lock_break(void);

/*
 * Print "PANIC: <message>" and a backtrace, tell QEMU to exit with
 * QEMU_EXIT_PANIC (exit status 37), then halt. A broken invariant panics
 * with a message that starts with "BUG:".
 */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* What panic prints after its message: a backtrace from rbp, registered by
 * interrupts (which uses the console, so the console cannot call it by name;
 * none until then). */
void console_set_backtrace(void (*print)(uint64_t rbp));

#endif
