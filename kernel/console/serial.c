/*
 * COM1, a 16550 UART at I/O port 0x3F8: the console every test reads, since
 * QEMU's -serial stdio hands it to the host. Output is polled; input is
 * polled until the receive interrupt is turned on (console.c's ring).
 *
 * Input typed (or piped) before the shell asks for it must not be lost. QEMU's
 * 16550 only takes a byte from the host when the FIFO (or, with the FIFO off,
 * the one holding register) has room, so unread input waits on the host side;
 * what could drop it is a FIFO reset, which the FCR clear bits or switching the
 * FIFO on or off both do. So serial_init never writes either: it keeps the
 * FIFO in whatever state it found (grub.cfg does not initialise the port).
 */
#include "console_internal.h"
#include <lib/x86.h>

#define COM1		0x3F8
#define UART_DATA	0	/* THR/RBR; divisor low with DLAB */
#define UART_IER	1	/* interrupt enable; divisor high with DLAB */
#define UART_FCR	2	/* write: FIFO control */
#define UART_IIR	2	/* read: interrupt id; bits 6-7 set when the FIFO is on */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20
#define IIR_FIFO_ON	0xC0
#define FCR_FIFO_ON_TRIGGER_14	0xC1	/* enable + trigger level, no clear bits */

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);	/* no interrupts */
	outb(COM1 + UART_LCR, 0x80);	/* DLAB on */
	outb(COM1 + UART_DATA, 0x01);	/* divisor 1: 115200 baud */
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1, DLAB off */
	if ((inb(COM1 + UART_IIR) & IIR_FIFO_ON) == IIR_FIFO_ON)	/* keep it and its bytes */
		outb(COM1 + UART_FCR, FCR_FIFO_ON_TRIGGER_14);
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

/* Receive-data interrupt on or off; OUT2 gates the UART's IRQ line on a PC. */
void serial_rx_interrupt(bool on)
{
	outb(COM1 + UART_MCR, on ? 0x0B : 0x03);	/* DTR, RTS (+ OUT2) */
	outb(COM1 + UART_IER, on ? 0x01 : 0x00);
}

bool serial_try_getc(char *c)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return false;
	*c = (char)inb(COM1 + UART_DATA);
	return true;
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(COM1 + UART_DATA, (uint8_t)c);
}
