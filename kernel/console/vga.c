/*
 * A mirror of the console on the VGA text screen (80x25 at physical 0xB8000,
 * reached through the direct map), for `make run` with a display. No cursor,
 * no escape sequences.
 *
 * It scrolls in hardware: the text buffer holds VGA_BUF_ROWS rows, the
 * screen shows VGA_ROWS of them from the CRTC start address, and a new line
 * moves that start one row down (clearing one row) instead of copying the
 * screen up, as Linux's vgacon does. Only when the buffer's end is reached
 * are the visible rows copied back to its top: once every
 * VGA_BUF_ROWS - VGA_ROWS lines.
 */
#include "console_internal.h"
#include <lib/x86.h>
#include <memory/layout.h>
#include <stdint.h>

#define VGA_PHYS	0xB8000
#define VGA_COLS	80
#define VGA_ROWS	25
#define VGA_BUF_ROWS	204	/* the 32 KiB text buffer: 16,384 cells */
#define VGA_ATTR	0x0700	/* light grey on black */
#define CRTC_INDEX	0x3D4
#define CRTC_DATA	0x3D5
#define CRTC_START_HI	0x0C
#define CRTC_START_LO	0x0D

static unsigned vga_top;		/* buffer row shown first */
static unsigned vga_row, vga_col;	/* the cursor, on the screen */

static volatile uint16_t *vga_cells(void)
{
	return phys_to_virt(VGA_PHYS);
}

/* Show the buffer from row `top` on. */
static void vga_set_top(unsigned top)
{
	unsigned cell = top * VGA_COLS;

	vga_top = top;
	outb(CRTC_INDEX, CRTC_START_HI);
	outb(CRTC_DATA, (uint8_t)(cell >> 8));
	outb(CRTC_INDEX, CRTC_START_LO);
	outb(CRTC_DATA, (uint8_t)cell);
}

static void vga_clear_row(unsigned buf_row)
{
	volatile uint16_t *cell = vga_cells() + buf_row * VGA_COLS;

	for (unsigned i = 0; i < VGA_COLS; i++)
		cell[i] = VGA_ATTR | ' ';
}

/* One line up: the screen starts a row further down the buffer (back at its
 * top, with the visible rows copied there, when the buffer ends). */
static void vga_scroll(void)
{
	volatile uint16_t *cell = vga_cells();

	if (vga_top + VGA_ROWS == VGA_BUF_ROWS) {
		for (unsigned i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
			cell[i] = cell[(vga_top + 1) * VGA_COLS + i];
		vga_clear_row(VGA_ROWS - 1);
		vga_set_top(0);
	} else {
		vga_clear_row(vga_top + VGA_ROWS);
		vga_set_top(vga_top + 1);
	}
	vga_row = VGA_ROWS - 1;
}

void vga_clear(void)
{
	for (unsigned r = 0; r < VGA_ROWS; r++)
		vga_clear_row(r);
	vga_set_top(0);
	vga_row = vga_col = 0;
}

void vga_putc(char c)
{
	if (c == '\n') {
		vga_col = 0;
		if (++vga_row == VGA_ROWS)
			vga_scroll();
		return;
	}
	if (c == '\r')
		return;
	vga_cells()[(vga_top + vga_row) * VGA_COLS + vga_col] = VGA_ATTR | (uint8_t)c;
	if (++vga_col == VGA_COLS) {
		vga_col = 0;
		if (++vga_row == VGA_ROWS)
			vga_scroll();
	}
}
