/*
 * A mirror of the console on the VGA text screen (80x25 at physical 0xB8000,
 * reached through the direct map), for `make run` with a display. Scrolls;
 * no cursor, no escape sequences.
 */
#include "console_internal.h"
#include <memory/memory.h>
#include <stdint.h>

#define VGA_PHYS	0xB8000
#define VGA_COLS	80
#define VGA_ROWS	25
#define VGA_ATTR	0x0700	/* light grey on black */

static unsigned vga_row, vga_col;

static volatile uint16_t *vga_cells(void)
{
	return phys_to_virt(VGA_PHYS);
}

static void vga_scroll(void)
{
	volatile uint16_t *cell = vga_cells();

	for (unsigned i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
		cell[i] = cell[i + VGA_COLS];
	for (unsigned i = 0; i < VGA_COLS; i++)
		cell[VGA_COLS * (VGA_ROWS - 1) + i] = VGA_ATTR | ' ';
	vga_row = VGA_ROWS - 1;
}

void vga_clear(void)
{
	volatile uint16_t *cell = vga_cells();

	for (unsigned i = 0; i < VGA_COLS * VGA_ROWS; i++)
		cell[i] = VGA_ATTR | ' ';
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
	vga_cells()[vga_row * VGA_COLS + vga_col] = VGA_ATTR | (uint8_t)c;
	if (++vga_col == VGA_COLS) {
		vga_col = 0;
		if (++vga_row == VGA_ROWS)
			vga_scroll();
	}
}
