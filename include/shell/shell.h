/*
 * The kernel shell on the serial console: kernel_main ends in shell_run(),
 * which prints the prompt `nanoswap> `, reads lines with echo and editing
 * (backspace, Ctrl-U, Ctrl-C, up/down history) and runs commands that look at
 * and change the crate namespace (ns, sym, addr, deps, load, unload, swap) and
 * the machine (mem, test, bench, log, halt, reboot). `help` lists them.
 */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <nanoswap/err.h>

/* Longest accepted input line, in characters (a longer one is refused). */
#define SHELL_LINE_MAX	255
/* Most words a line may have (the command included). */
#define SHELL_MAX_ARGS	8

/* Read and run commands forever (halt and reboot leave QEMU). */
__attribute__((noreturn)) void shell_run(void);

/*
 * Run one command line, as if typed. Returns E_OK; E_SHELL_UNKNOWN_COMMAND
 * or E_SHELL_USAGE (the message or usage printed); E_SHELL_FAULT when the
 * command raised a CPU exception (reported, caught, the shell goes on); or
 * the command's own error, which the failing step has logged.
 */
enum err shell_exec_line(const char *line) NS_MUST_CHECK;

#endif
