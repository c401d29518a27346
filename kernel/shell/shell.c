/*
 * The shell's loop and dispatcher: read a line, split it into words, find
 * the command, check its argument count, and run it under fault_catch so a
 * fault inside a command is reported and the shell goes on. The command
 * table lives here; the commands themselves in cmd_*.c.
 */
#include <console/console.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <nano_core_swap/swap.h>
#include <nanoswap/probe.h>
#include "shell_internal.h"

MODULE_PROBE(shell)

static enum err cmd_help(int argc, char **argv);

const struct shell_cmd shell_cmds[] = {
	{ "help", "", "list the commands", 0, 0, cmd_help },
	{ "ns", "[CRATE]", "the crates (ranges, symbols, dependents); with CRATE, its sections",
	  0, 1, cmd_ns },
	{ "sym", "NAME", "a symbol's address, crate and section, and what it superseded",
	  1, 1, cmd_sym },
	{ "addr", "ADDR", "symbolize a hex address: crate, section+offset, symbol+offset",
	  1, 1, cmd_addr },
	{ "deps", "CRATE", "what CRATE depends on and what depends on it, per section pair",
	  1, 1, cmd_deps },
	{ "load", "NAME", "load the boot module NAME as a crate", 1, 1, cmd_load },
	{ "unload", "CRATE", "unload a crate (refused while others depend on it)", 1, 1,
	  cmd_unload },
	{ "swap", "MODULE[,MODULE...] | NAME OBJECT",
	  "swap modules again from their objects; or module/crate NAME for boot module OBJECT",
	  1, 2, cmd_swap },
	{ "mem", "", "frames, heap, module area and page tables", 0, 0, cmd_mem },
	{ "test", "[PREFIX]", "run the in-kernel tests (those whose name starts with PREFIX)",
	  0, 1, cmd_test },
	{ "bench", "", "run the in-kernel benchmarks", 0, 0, cmd_bench },
	{ "log", "[err|warn|info|debug]", "show or set the console log level", 0, 1, cmd_log },
	{ "peek", "ADDR", "read the 8 bytes at a hex address (a fault is caught)", 1, 1,
	  cmd_peek },
	{ "ps", "", "the threads: id, name, state, CPU (* pinned), ticks run, where each is", 0, 0,
	  cmd_ps },
	{ "cpus", "", "the CPUs: APIC id, online, ticks, threads run, shootdowns served", 0, 0,
	  cmd_cpus },
	{ "uptime", "", "timer ticks and seconds since the timer started", 0, 0, cmd_uptime },
	{ "work", "[start N | stop]", "worker threads to swap under: start N, their counts, stop",
	  0, 2, cmd_work },
	{ "objects", "", "boot modules and uploads (build/push.sock): size, CRC-32", 0, 0,
	  cmd_objects },
	{ "forget", "UPLOAD", "free an upload", 1, 1, cmd_forget },
	{ "halt", "", "exit QEMU with the success status", 0, 0, cmd_halt },
	{ "reboot", "", "reset the machine", 0, 0, cmd_reboot },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

static enum err cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (const struct shell_cmd *c = shell_cmds; c->name; c++) {
		char usage[48];
		size_t n = strlen(c->name), a = strlen(c->args);
		/* "name args" padded to one column; the longest fits */
		memcpy(usage, c->name, n);
		usage[n] = a ? ' ' : '\0';
		memcpy(usage + n + (a != 0), c->args, a + 1);
		kprintf("  %-28s %s\n", usage, c->help);
	}
	return E_OK;
}

static const struct shell_cmd *find_cmd(const char *name)
{
	for (const struct shell_cmd *c = shell_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void print_usage(const struct shell_cmd *c)
{
	kprintf("usage: %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
}

/* What fault_catch runs: one command with its words. */
struct invocation {
	const struct shell_cmd *cmd;
	int argc;
	char **argv;
	enum err result;
};

static void run_invocation(void *arg)
{
	struct invocation *inv = arg;

	inv->result = inv->cmd->run(inv->argc, inv->argv);
}

enum err shell_exec_line(const char *line)
{
	char buf[SHELL_LINE_MAX + 1], *argv[SHELL_MAX_ARGS];
	struct trap_record rec;
	int argc;

	if (strnlen(line, sizeof(buf)) == sizeof(buf)) {
		kprintf("shell: line longer than %d characters (SHELL_LINE_MAX); ignored\n",
			SHELL_LINE_MAX);
		return E_SHELL_LINE_TOO_LONG;
	}
	memset(buf, 0, sizeof(buf)); /* (no residue of earlier frames in its tail) */
	memcpy(buf, line, strlen(line) + 1);
	if (shell_split(buf, &argc, argv) != E_OK) {
		kprintf("shell: more than %d words (SHELL_MAX_ARGS); ignored\n", SHELL_MAX_ARGS);
		return E_SHELL_USAGE;
	}
	if (argc == 0)
		return E_OK;
	struct invocation inv = { .cmd = find_cmd(argv[0]), .argc = argc, .argv = argv };
	if (!inv.cmd) {
		kprintf("unknown command '%s' (help lists them)\n", argv[0]);
		return E_SHELL_UNKNOWN_COMMAND;
	}
	if ((unsigned)argc - 1 < inv.cmd->min_args || (unsigned)argc - 1 > inv.cmd->max_args) {
		print_usage(inv.cmd);
		return E_SHELL_USAGE;
	}
	if (fault_catch(run_invocation, &inv, &rec)) {
		kprintf("shell: '%s' raised exception %lu at %lx; the command was abandoned\n",
			argv[0], rec.vector, rec.rip);
		return E_SHELL_FAULT;
	}
	if (inv.result == E_SHELL_USAGE)
		print_usage(inv.cmd);
	return inv.result;
}

static bool ready_said;	/* (a re-entered loop does not say it again) */

void shell_run(void)
{
	char line[SHELL_LINE_MAX + 1];

	memset(line, 0, sizeof(line)); /* (no residue of earlier frames in it) */
	if (!ready_said)
		kprintf("nanoswap: shell ready; 'help' lists the commands\n");
	ready_said = true;
	for (;;) {
		swap_safe_point();	/* between commands: old copies left, retired */
		kprintf("nanoswap> ");
		if (shell_read_line(line) != E_OK)
			continue;	/* too long: already refused */
		shell_history_add(line);
		enum err e = shell_exec_line(line);
		(void)e;	/* every outcome is printed where it happens */
	}
}
