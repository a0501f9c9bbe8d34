/*
 * 16550 UART on COM1: the console.  Output, and input by polling: the
 * receive interrupt needs the IOAPIC, which Osprey does not drive yet, so
 * the console device (kernel/fs/console.c) asks serial_read() for what has
 * arrived, and sleeps between asks.  QEMU holds input back while the
 * receive FIFO is full, so nothing is lost between two asks.
 *
 * With the FIFO on, "transmitter holding register empty" means the whole
 * 16-byte FIFO is free, so the line status is read once per 16 bytes rather
 * than once per byte: each port access is a VM exit.
 */
#include <osprey/arch/cpu.h>
#include <osprey/log.h>

#define COM1 0x3f8
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define FIFO_DEPTH 16
#define SPIN_LIMIT 100000

static bool serial_present;
/*
 * Input that arrived before serial_init (QEMU delivers from the start):
 * turning the FIFO on empties it, so what is there is taken out first and
 * handed out before the UART's own.  A byte that lands between the two
 * is still lost: type after the boot.  Written once at boot, then only by
 * serial_read's caller (one reader at a time: console.c's lock).
 */
static char early[FIFO_DEPTH];
static unsigned early_len, early_pos;

void serial_init(void)
{
	bool fifo_on = (inb(COM1 + UART_IIR) & 0xc0) == 0xc0;

	/* Only with the divisor latch off does port 0 read received bytes. */
	if (inb(COM1 + UART_LSR) != 0xff && !(inb(COM1 + UART_LCR) & 0x80))
		while (early_len < FIFO_DEPTH && (inb(COM1 + UART_LSR) & LSR_DR))
			early[early_len++] = (char)inb(COM1 + UART_RBR);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80); /* divisor latch */
	outb(COM1 + UART_DLL, 1);    /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	/*
	 * FIFO on; its received bytes are kept when the firmware had it on
	 * already.  Receive trigger level 14: QEMU then hands over up to 14
	 * bytes per console poll instead of one (27 KB of piped input: 19 s ->
	 * 0.8 s).
	 */
	outb(COM1 + UART_FCR, fifo_on ? 0xc5 : 0xc7);
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

bool serial_rx_ready(void)
{
	return early_pos < early_len || (serial_present && (inb(COM1 + UART_LSR) & LSR_DR));
}

size_t serial_read(char *buf, size_t n)
{
	size_t done = 0;

	while (done < n && early_pos < early_len)
		buf[done++] = early[early_pos++];
	while (done < n && serial_present && (inb(COM1 + UART_LSR) & LSR_DR))
		buf[done++] = (char)inb(COM1 + UART_RBR);
	return done;
}

void serial_set_loopback(bool on)
{
	/* what is already queued goes out on the line first */
	for (int i = 0; serial_present && i < SPIN_LIMIT; i++)
		if (inb(COM1 + UART_LSR) & LSR_TEMT)
			break;
	outb(COM1 + UART_MCR, on ? 0x03 | MCR_LOOP : 0x03);
}
