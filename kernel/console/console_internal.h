/* Private to the console module: the two output devices and the one input. */
#ifndef CONSOLE_INTERNAL_H
#define CONSOLE_INTERNAL_H

#include <stdbool.h>

void serial_init(void);
void serial_putc(char c);
/* A received byte, if one is waiting. */
bool serial_try_getc(char *c);
void serial_rx_interrupt(bool on);
void vga_clear(void);
void vga_putc(char c);

#endif
