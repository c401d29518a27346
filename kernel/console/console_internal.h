/* Private to the console module: the two output devices. */
#ifndef CONSOLE_INTERNAL_H
#define CONSOLE_INTERNAL_H

void serial_init(void);
void serial_putc(char c);
void vga_clear(void);
void vga_putc(char c);

#endif
