/* Private to the shell: the command table, the line editor and argument parsing. */
#ifndef SHELL_INTERNAL_H
#define SHELL_INTERNAL_H

#include <loader/loader.h>
#include <shell/shell.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * One command. run gets the words of the line (argv[0] is the command) and
 * returns E_OK, E_SHELL_USAGE to have the usage printed, or its own error
 * (logged where it was found). argc is already within [min_args, max_args]
 * (counting the arguments only).
 */
struct shell_cmd {
	const char *name;
	const char *args;	/* the usage after the name, "" if none */
	const char *help;	/* one line */
	unsigned min_args, max_args;
	enum err (*run)(int argc, char **argv);
};

/* The command table (shell.c), ended by an entry with a NULL name. */
extern const struct shell_cmd shell_cmds[];

/* ---- the line editor (line.c) ---- */

/*
 * Read one line into buf (SHELL_LINE_MAX + 1 bytes) with echo, backspace,
 * Ctrl-U (erase the line), Ctrl-C (cancel: returns an empty line) and the up
 * and down arrows (history). E_SHELL_LINE_TOO_LONG when the line did not fit
 * (the rest of it is read and dropped, and the error printed).
 */
enum err shell_read_line(char *buf) NS_MUST_CHECK;
/* Remember a line that was run, for the arrows. */
void shell_history_add(const char *line);

/* ---- arguments (args.c) ---- */

/* Split line in place into at most SHELL_MAX_ARGS words; E_SHELL_USAGE if more. */
enum err shell_split(char *line, int *argc, char **argv) NS_MUST_CHECK;
/* Parse a hex address ("0x..." or bare hex digits) that fills at most 64 bits. */
enum err shell_parse_addr(const char *s, uint64_t *out) NS_MUST_CHECK;
/* The crate called name; prints "no crate 'name'" and E_LD_NOT_FOUND if none. */
enum err shell_find_crate(const char *name, struct ld_crate **out) NS_MUST_CHECK;

/* ---- the commands (cmd_*.c) ---- */

enum err cmd_ns(int argc, char **argv);
enum err cmd_sym(int argc, char **argv);
enum err cmd_addr(int argc, char **argv);
enum err cmd_deps(int argc, char **argv);
enum err cmd_load(int argc, char **argv);
enum err cmd_unload(int argc, char **argv);
enum err cmd_swap(int argc, char **argv);
enum err cmd_mem(int argc, char **argv);
enum err cmd_test(int argc, char **argv);
enum err cmd_bench(int argc, char **argv);
enum err cmd_log(int argc, char **argv);
enum err cmd_peek(int argc, char **argv);
enum err cmd_objects(int argc, char **argv);
enum err cmd_forget(int argc, char **argv);
enum err cmd_ps(int argc, char **argv);
enum err cmd_cpus(int argc, char **argv);
enum err cmd_uptime(int argc, char **argv);
enum err cmd_work(int argc, char **argv);
enum err cmd_halt(int argc, char **argv);
enum err cmd_reboot(int argc, char **argv);

#endif
