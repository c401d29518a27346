/*
 * One error enum for the whole kernel and the loader, generated with its message
 * table from one X-macro list, so a code and its text can never drift apart.
 * Every fallible function returns `enum err` and is marked NS_MUST_CHECK; the
 * place that detects a failure logs it once, with context.
 */
#ifndef NANOSWAP_ERR_H
#define NANOSWAP_ERR_H

#include <loader/err_list.h>

#define NS_MUST_CHECK __attribute__((warn_unused_result))

/* X(NAME, "message"): E_NAME is the code, "NAME" its printable name. */
#define ERR_LIST_KERNEL(X)                                                         \
	X(OK, "success")                                                           \
	X(INVALID_ARG, "invalid argument")                                         \
	X(NO_FRAMES, "out of physical frames")                                     \
	X(NO_VSPACE, "out of virtual address space in the requested area")       \
	X(ALREADY_MAPPED, "virtual page is already mapped")                        \
	X(NOT_MAPPED, "virtual page is not mapped")                                \
	X(NOT_ALIGNED, "address or size is not page-aligned")                      \
	X(LIMIT, "a fixed limit was reached (the message names it)")              \
	X(NO_HEAP, "kernel heap exhausted")                                        \
	X(MB2_BAD_MAGIC, "boot loader magic is not multiboot2")                    \
	X(MB2_TRUNCATED, "multiboot2 info is truncated")                           \
	X(MB2_BAD_TAG, "multiboot2 tag has a bad size or alignment")               \
	X(MB2_NO_END, "multiboot2 info has no end tag")                            \
	X(MB2_BAD_MMAP, "multiboot2 memory map is malformed")                      \
	X(MB2_BAD_MODULE, "multiboot2 module tag is malformed")                    \
	X(MB2_BAD_STRING, "multiboot2 string is not NUL-terminated in its tag")    \
	X(MB2_BAD_ELF_SECTIONS, "multiboot2 ELF-sections tag is malformed")        \
	X(MB2_DUPLICATE, "multiboot2 tag that must be unique appears twice")       \
	X(CMDLINE_BAD, "kernel command line is malformed")                         \
	X(LOG_UNKNOWN_LEVEL, "no such log level (err, warn, info, debug)")         \
	X(SWAP_NO_DESC, "no nano_core description (boot module nano_core_desc)")  \
	X(SWAP_BAD_DESC, "the nano_core description is malformed")                 \
	X(SWAP_BAD_LAYOUT, "a layout description (.nanoswap.layout) is malformed") \
	X(SWAP_NO_LAYOUT, "the object has no layout description (.nanoswap.layout) and is not the one linked") \
	X(SWAP_NO_TRANSFER, "the data layout changed and the new version has no state transfer function") \
	X(SWAP_STILL_USED, "the new version lacks code or data the running kernel still refers to") \
	X(SWAP_UNKNOWN_MODULE, "no such constituent module in the nano_core")      \
	X(SWAP_NO_OBJECT, "no boot module holds the module's object")              \
	X(SWAP_LAYOUT_CHANGED, "the module's data layout differs from the nano_core's") \
	X(SWAP_INCOMPLETE, "the nano_core crate lacks records a swap needs")       \
	X(SWAP_HOOK_FAILED, "a swap hook of the new copy failed: the swap was undone") \
	X(SWAP_FAULTED, "the new copy faulted after the commit: the swap was undone") \
	X(IRQ_NO_APIC, "no ACPI MADT with a local APIC and an IOAPIC")            \
	X(SCHED_UNWALKABLE, "a thread's stack cannot be walked reliably (frame chain broken)") \
	X(SCHED_NO_THREAD, "no such thread")                                       \
	X(SWAP_BUSY, "a thread stays inside code the swap replaces (changed code): refused") \
	X(SMP_CPU_TIMEOUT, "a CPU did not come online in time (it is left out)")   \
	X(PUSH_BAD_MAGIC, "an upload frame does not start with the magic NSP1")  \
	X(PUSH_BAD_NAME, "an upload's name is empty, too long or has a character other than letters, digits, _ - . @") \
	X(PUSH_TOO_BIG, "an upload is empty or larger than PUSH_OBJECT_MAX")     \
	X(PUSH_BAD_CHECKSUM, "an upload's CRC-32 does not match its name and bytes") \
	X(PUSH_TRUNCATED, "an upload stopped before its last byte (timed out)")  \
	X(SHELL_UNKNOWN_COMMAND, "no such shell command")                         \
	X(SHELL_USAGE, "missing or malformed arguments (the usage is printed)")  \
	X(SHELL_LINE_TOO_LONG, "input line longer than SHELL_LINE_MAX")          \
	X(SHELL_FAULT, "the command raised a CPU exception (caught)")            \
	X(SHELL_REFUSED, "the shell refuses to do that to a live crate")

#define ERR_LIST(X) ERR_LIST_KERNEL(X) LOADER_ERR_LIST(X)

enum err {
#define ERR_ENUM(name, msg) E_##name,
	ERR_LIST(ERR_ENUM)
#undef ERR_ENUM
	E__COUNT
};

/* "NO_FRAMES" for E_NO_FRAMES; "?" for a value outside the enum. */
const char *err_name(enum err e);
/* The one-line description of the error. */
const char *err_msg(enum err e);

#endif
