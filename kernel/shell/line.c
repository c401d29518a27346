/*
 * The shell's line editor over the polled serial console. It works the same
 * for a person at a terminal (echo, backspace, Ctrl-U, Ctrl-C, up/down
 * history through VT100 escape sequences) and for piped input ("\n", "\r" or
 * "\r\n" end a line), and never writes past its buffer: a line longer than
 * SHELL_LINE_MAX is read to its end and refused.
 */
#include <console/console.h>
#include <lib/string.h>
#include "shell_internal.h"

#define HISTORY_LINES	16

#define KEY_CTRL_C	0x03
#define KEY_BS		0x08
#define KEY_CTRL_U	0x15
#define KEY_ESC		0x1B
#define KEY_DEL		0x7F

static char history[HISTORY_LINES][SHELL_LINE_MAX + 1];
static unsigned history_count;	/* lines ever added; the newest is (count-1) % N */
static bool after_cr;		/* the previous line ended with '\r': drop a '\n' */

void shell_history_add(const char *line)
{
	const char *newest = history[(history_count - 1) % HISTORY_LINES];

	if (!line[0] || (history_count && strcmp(newest, line) == 0))
		return;
	memcpy(history[history_count % HISTORY_LINES], line, strlen(line) + 1);
	history_count++;
}

struct editor {
	char *buf;
	size_t len;
	bool overflow;		/* the line outgrew the buffer: drop it at its end */
	unsigned back;		/* history: 0 = the line being typed, k = k-th newest */
};

static void erase_chars(size_t n)
{
	for (; n; n--)
		kprintf("\b \b");
}

/* Replace what is shown and held with s. */
static void set_line(struct editor *e, const char *s)
{
	erase_chars(e->len);
	e->len = strlen(s);
	memcpy(e->buf, s, e->len);
	kprintf("%.*s", (int)e->len, e->buf);
}

/* ESC [ A / ESC [ B: walk the history. Other sequences are ignored. */
static void handle_escape(struct editor *e)
{
	char c1 = console_getc(), c2;

	if (c1 != '[')
		return;
	c2 = console_getc();
	unsigned avail = history_count < HISTORY_LINES ? history_count : HISTORY_LINES;
	if (c2 == 'A' && e->back < avail) {
		e->back++;
		set_line(e, history[(history_count - e->back) % HISTORY_LINES]);
	} else if (c2 == 'B' && e->back > 0) {
		e->back--;
		set_line(e, e->back ? history[(history_count - e->back) % HISTORY_LINES] : "");
	}
}

static void insert_char(struct editor *e, char c)
{
	if (e->len == SHELL_LINE_MAX) {
		e->overflow = true;
		return;
	}
	e->buf[e->len++] = c;
	kprintf("%c", c);
}

enum err shell_read_line(char *buf)
{
	struct editor e = { .buf = buf };

	for (;;) {
		char c = console_getc();
		bool skip_lf = after_cr;

		after_cr = false;
		switch (c) {
		case '\n':
			if (skip_lf)
				continue;	/* the second half of "\r\n" */
			/* fall through */
		case '\r':
			after_cr = c == '\r';
			kprintf("\n");
			buf[e.len] = '\0';
			if (e.overflow) {
				kprintf("shell: line longer than %d characters (SHELL_LINE_MAX); "
					"ignored\n", SHELL_LINE_MAX);
				return E_SHELL_LINE_TOO_LONG;
			}
			return E_OK;
		case KEY_CTRL_C:
			kprintf("^C\n");
			buf[0] = '\0';
			return E_OK;
		case KEY_CTRL_U:
			erase_chars(e.len);
			e.len = 0;
			e.overflow = false;
			break;
		case KEY_BS:
		case KEY_DEL:
			if (e.len && !e.overflow) {
				e.len--;
				erase_chars(1);
			}
			break;
		case KEY_ESC:
			handle_escape(&e);
			break;
		default:
			if (c >= ' ' && c < KEY_DEL)
				insert_char(&e, c);
			break;	/* other control bytes are ignored */
		}
	}
}
