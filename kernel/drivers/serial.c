/*
 * 16550 UART on COM1: the console.  Output only for now; the console input
 * path arrives with the application's terminal.
 *
 * With the FIFO on, "transmitter holding register empty" means the whole
 * 16-byte FIFO is free, so the line status is read once per 16 bytes rather
 * than once per byte: each port access is a VM exit.
 */
#include <osprey/arch/cpu.h>
#include <osprey/log.h>

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_THRE 0x20
#define FIFO_DEPTH 16
#define SPIN_LIMIT 100000

static bool serial_present;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80); /* divisor latch */
	outb(COM1 + UART_DLL, 1);    /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
	/* No UART answers 0xff on every register. */
	serial_present = inb(COM1 + UART_LSR) != 0xff;
}

static void wait_fifo_empty(void)
{
	for (int i = 0; i < SPIN_LIMIT; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			return;
	/* A stuck UART must not hang the kernel: drop to best effort. */
}

void serial_write(const char *s, size_t n)
{
	if (!serial_present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i % FIFO_DEPTH == 0)
			wait_fifo_empty();
		outb(COM1 + UART_THR, (uint8_t)s[i]);
	}
}
