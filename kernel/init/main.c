/*
 * kernel_main: the nano_core's init sequence, one step a line. boot/ calls
 * it in long mode on the boot stack with the multiboot2 magic and the
 * physical address of the boot information.
 */
#include <bootinfo/bootinfo.h>
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <init/cmdline.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <loader/elf.h>
#include <nano_core_swap/swap.h>
#include <nanoswap/probe.h>
#include <nanoswap/swap_hook.h>
#include <sched/sched.h>
#include <push/push.h>
#include <shell/shell.h>
#include <smp/smp.h>

MODULE_PROBE(init)

void kernel_main(uint32_t magic, uint64_t info_phys);

static struct cmdline cmdline;

static void cmdline_warn(const char *fmt, ...)
{
	va_list ap;

	kprintf("warning: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

static void cmdline_quiet(const char *fmt, ...)
{
	(void)fmt;
}

/* After a swap, the new copy parses the command line again: the parsed
 * struct then points at the new copy's defaults, not the old rodata. */
static void kernel_resume(void);

/* COM1's receive interrupt, routed here by init (the console is below the
 * interrupts module and cannot register itself). */
static void com1_interrupt(void)
{
	console_rx_irq();
}

static enum err cmdline_swapped(void)
{
	cmdline_parse(boot_info.cmdline, &cmdline, cmdline_quiet);
	swap_set_resume(kernel_resume);	/* re-entry is this copy's now */
	if (irq_ready())
		return irq_register_isa(IRQ_COM1, com1_interrupt); /* (this copy's handler) */
	return E_OK;
}
SWAP_HOOK(cmdline_swapped);

/* swap_fail=KIND:N: the N-th call of that loader service will fail. */
static void arm_swap_failure(const char *spec)
{
	char kind[16];
	const char *colon = strchr(spec, ':');
	enum crates_fault k;
	unsigned long n = 0;

	if (colon && (size_t)(colon - spec) < sizeof(kind)) {
		memcpy(kind, spec, colon - spec);
		kind[colon - spec] = '\0';
		for (const char *p = colon + 1; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (unsigned long)(*p - '0');
	}
	if (!colon || n == 0 || (size_t)(colon - spec) >= sizeof(kind) ||
	    crates_fault_parse(kind, &k) != E_OK) {
		pr_warn("cmdline: swap_fail=%s: want KIND:N (alloc, reserve, map, protect, "
			"alias; N from 1)\n", spec);
		return;
	}
	crates_fail_at(k, n);
	kprintf("swap: the swap's %s call %lu will fail (swap_fail=)\n", kind, n);
}

static void apply_cmdline(void)
{
	enum log_level level;

	cmdline_parse(boot_info.cmdline, &cmdline, cmdline_warn);
	if (cmdline.swap_fail)
		arm_swap_failure(cmdline.swap_fail);
	smp_skip_start(cmdline.smp_skip);
	if (cmdline.loglevel) {
		if (console_parse_level(cmdline.loglevel, &level) == E_OK)
			console_set_level(level);
		else
			pr_warn("cmdline: unknown loglevel '%s' (err, warn, info, debug)\n",
				cmdline.loglevel);
	}
}

static void print_boot_summary(void)
{
	struct mem_stats m;
	extern char __kernel_high_start[], __kernel_end[];

	mem_get_stats(&m);
	kprintf("memory: %lu MiB usable (%lu frames): %lu reserved, %lu in use, %lu free\n",
		m.frames_total * PAGE_SIZE / MiB, m.frames_total, m.frames_reserved,
		m.frames_used, m.frames_free);
	kprintf("kernel: %p-%p (%lu KiB), %u symbols\n", (void *)__kernel_high_start,
		(void *)__kernel_end, (uint64_t)(__kernel_end - __kernel_high_start) / KiB,
		ksym_count());
	kprintf("boot modules: %u\n", boot_info.module_count);
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *mod = &boot_info.modules[i];
		kprintf("  %-12s %8lu bytes at %lx\n", mod->name, mod->end - mod->start, mod->start);
	}
	kprintf("command line: \"%s\"\n", boot_info.cmdline);
}

/* Run the in-kernel tests and leave QEMU with the verdict. */
static __attribute__((noreturn)) void run_tests_and_exit(void)
{
	struct ktest_result r = ktest_run(cmdline.test_filter);

	qemu_exit(r.failed == 0 && r.passed > 0 ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	cpu_halt_forever();
}

/* Run the benchmarks (make bench runs QEMU with -icount shift=0). */
static __attribute__((noreturn)) void run_bench_and_exit(void)
{
	qemu_exit(kbench_run() == 0 ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	cpu_halt_forever();
}

/*
 * Enter the shell through the namespace, so that its live copy runs (the
 * re-loaded one after a swap, calling the other modules' re-loaded copies):
 * the nano_core's own call sites still reach the old code.
 */
static __attribute__((noreturn)) void run_shell(void)
{
	const struct ld_symbol *s;

	if (ld_lookup(crates_namespace(), "shell_run", &s) == E_OK && s->type == STT_FUNC)
		((void (*)(void))s->addr)();
	shell_run();	/* no namespace entry: the nano_core's copy */
}

/* The rest of boot, after the swap: entered through the namespace (so the
 * live copy of init runs, on a stack of its own), never returning into the
 * frames the swap left behind. */
__attribute__((noreturn)) void kernel_continue(void);
static bool booted;		/* kernel_continue ran once: later entries resume */
static uint64_t kernel_stack_lo, kernel_stack_top;

void kernel_continue(void)
{
	extern uint8_t boot_stack_bottom[];

	if (booted) {	/* re-entered from a safe point: the frames below are dead */
		uint64_t sp;

		__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
		memset((void *)kernel_stack_lo, 0, sp - 256 - kernel_stack_lo); /* (memset's frame: above) */
	} else {
		memset(boot_stack_bottom, 0, BOOT_STACK_SIZE); /* its frames are dead: wipe them */
		swap_retire_old_code();		/* (11) unmap what is proven unused */
		print_boot_summary();
		kprintf("nanoswap: init done at tsc %lu\n", rdtsc());
		booted = true;
		if (cmdline.test)
			run_tests_and_exit();
		if (cmdline.bench)
			run_bench_and_exit();
	}
	thread_set_name(thread_current(), "shell");
	run_shell();				/* nanoswap> (halt leaves QEMU) */
}

/* A safe point's way out of old frames (swap_safe_point): this copy's
 * continuation, from the kernel stack's top, whose frames are all dropped. */
static void kernel_resume(void)
{
	cpu_switch_stack(kernel_stack_top, kernel_continue);
}

/* A fresh stack: KERNEL_STACK_PAGES mapped pages between two unmapped guard
 * pages (the top one also keeps the stack's end address from naming the
 * next range of the module area). */
static uint64_t init_stack_alloc(void)
{
	uint64_t base;

	if (vrange_alloc(KERNEL_STACK_PAGES + 2, &base) != E_OK ||
	    vm_map_fresh(base + PAGE_SIZE, KERNEL_STACK_PAGES, VM_WRITE) != E_OK)
		panic("init: no memory for a %u-page kernel stack", KERNEL_STACK_PAGES);
	interrupts_set_kernel_stack(base + PAGE_SIZE, base + (KERNEL_STACK_PAGES + 1) * PAGE_SIZE);
	kernel_stack_lo = base + PAGE_SIZE;
	kernel_stack_top = base + (KERNEL_STACK_PAGES + 1) * PAGE_SIZE;
	sched_set_current_stack(kernel_stack_lo, kernel_stack_top);
	return kernel_stack_top;
}

/* (10) of the swap, in the live copy of init (entered through the namespace):
 * continue boot on a fresh stack, whose only return address is this
 * function's own, so no frame of the old code stays on any live stack. */
__attribute__((noreturn)) void kernel_enter_live_copy(void);
void kernel_enter_live_copy(void)
{
	swap_set_resume(kernel_resume);
	cpu_switch_stack(init_stack_alloc(), kernel_continue);
}

/* Interrupts on: the timer ticks, threads preempt, COM1's input goes
 * through the console's ring. Without an APIC the kernel runs on, polled. */
static void start_interrupts(void)
{
	if (irq_init(boot_info.acpi_rsdp) != E_OK)
		return;
	if (irq_register_isa(IRQ_COM1, com1_interrupt) == E_OK)
		console_rx_irq_on();
	irq_enable();
}

/* Leave the old code for good: the new init's kernel_enter_live_copy after
 * a swap (the nano_core's when init was not swapped). */
static __attribute__((noreturn)) void continue_in_live_copy(void)
{
	const struct ld_symbol *s;

	if (ld_lookup(crates_namespace(), "kernel_enter_live_copy", &s) == E_OK &&
	    s->type == STT_FUNC)
		((void (*)(void))s->addr)();
	kernel_enter_live_copy();
}

void kernel_main(uint32_t magic, uint64_t info_phys)
{
	extern uint8_t boot_stack_bottom[], boot_stack_top[];
	uint64_t tsc_entry = rdtsc();
	enum err e;

	console_init();				/* COM1 + VGA: kprintf works from here */
	kprintf("nanoswap: kernel_main at tsc %lu\n", tsc_entry);
	interrupts_init();			/* GDT, TSS, IDT: exceptions are reported */
	e = bootinfo_init(magic, info_phys);	/* multiboot2 tags, validated */
	if (e != E_OK)
		panic("bootinfo: %s (%s)", err_name(e), err_msg(e));
	ksym_init();				/* our own symbols, for backtraces */
	memory_init(&boot_info);		/* frames, W^X page tables, direct map */
	heap_init();				/* kmalloc */
	sched_init("init", (uint64_t)boot_stack_bottom, (uint64_t)boot_stack_top); /* threads */
	start_interrupts();			/* APIC timer at 1 kHz, IOAPIC, COM1 input */
	crates_init();				/* the loader's namespace */
	apply_cmdline();			/* test, swap, loglevel, ... */
	if (smp_start() != E_OK)		/* every other CPU, each in its idle thread */
		pr_warn("smp: one CPU only\n");
	if (irq_ready() && push_init() != E_OK)	/* COM2: uploads from the host */
		pr_warn("push: no upload channel\n");
	e = swap_nano_core_crates(cmdline.swap);	/* re-load the modules, memory first */
	if (e != E_OK)
		pr_warn("swap: not every module was swapped (%s); booting on\n", err_name(e));
	continue_in_live_copy();		/* the rest of boot, in the new copy */
}
