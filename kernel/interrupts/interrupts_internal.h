/* Private to the interrupts module. */
#ifndef INTERRUPTS_INTERNAL_H
#define INTERRUPTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#define GDT_KERNEL_CODE	0x08
#define GDT_KERNEL_DATA	0x10
#define GDT_TSS		0x18
#define IST_DOUBLE	1
#define IST_NMI		2

/* Saved by isr.S, in this order from the lowest address. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

void gdt_init(void);
void idt_init(void);
void trap_dispatch(struct trap_frame *tf);
/* Does [addr, addr+len) lie within one kernel stack (boot or IST)? Backtraces
 * walk only frames there. */
int stack_contains(uint64_t addr, uint64_t len);

/* jump.S: setjmp/longjmp for fault_catch. */
struct jump_buf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int jump_save(struct jump_buf *buf) __attribute__((returns_twice));
__attribute__((noreturn)) void jump_restore(struct jump_buf *buf, int value);

extern const uint64_t isr_stub_table[32];

/* The registered symbolizer's section answer (backtrace.c); false if none. */
bool interrupts_section_at(uint64_t addr, const char **crate, const char **section,
			   uint64_t *offset);

#endif
