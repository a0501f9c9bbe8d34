/*
 * The console's input: what the user types on the serial line reaches the
 * program that reads /dev/console (its descriptor 0), as from a terminal.
 *
 * Input is polled (kernel/drivers/serial.c: no receive interrupt without
 * the IOAPIC).  A read takes what the UART holds; with nothing there it
 * sleeps VFS_POLL_TICK_NS (1 ms) and asks again, so a waiting reader costs
 * a wake-up per millisecond, never a spinning CPU.  A read returns as soon
 * as it has one byte: there is no line editing (no canonical mode), and
 * nothing is echoed.  As a terminal in ICRNL mode does, a carriage return
 * (what a terminal's Enter sends) becomes a newline.  Ctrl-D (0x04) is end
 * of file: at the start of a read it makes the read return 0; after some
 * bytes it ends the read there, and the next read returns 0.  A signal the
 * program will act on ends a waiting read within a tick (-ERESTARTSYS:
 * EINTR, or a restart with SA_RESTART, as a terminal's read on Linux).
 *
 * poll reports POLLIN when a byte waits, POLLOUT always (output never
 * blocks), and VFS_POLL_UNNOTIFIED while nothing waits: no interrupt will
 * announce the next byte, so a poller asks again every tick.
 *
 * Lock: console_lock, a leaf: one reader at a time takes bytes from the UART.
 */
#include <osprey/log.h>
#include <osprey/sched.h>

#include "internal.h"

#define CTRL_D 0x04

static struct spinlock console_lock = SPINLOCK_INIT("console");
static bool eof_pending; /* [console_lock] a Ctrl-D ended the last read early */

/* What the UART holds now, cooked.  Caller holds console_lock. */
static size_t take(char *out, size_t n, bool *eof)
{
	size_t done = 0;
	char c;

	if (eof_pending) {
		eof_pending = false;
		*eof = true;
		return 0;
	}
	while (done < n && serial_read(&c, 1)) {
		if (c == CTRL_D) {
			if (done)
				eof_pending = true;
			else
				*eof = true;
			break;
		}
		out[done++] = c == '\r' ? '\n' : c;
	}
	return done;
}

int console_read(void *buf, size_t n, size_t *done)
{
	*done = 0;
	if (!n)
		return 0;
	for (;;) {
		bool eof = false;

		vfs_spin_lock(&console_lock);
		*done = take(buf, n, &eof);
		vfs_spin_unlock(&console_lock);
		if (*done || eof)
			return 0;
		/* A signal is seen within a tick: no wake-up needed. */
		if (vfs_interrupted())
			return -ERESTARTSYS;
		thread_sleep_ns(VFS_POLL_TICK_NS);
	}
}

int console_poll(int events)
{
	bool ready;

	(void)events;
	vfs_spin_lock(&console_lock);
	ready = eof_pending || serial_rx_ready();
	vfs_spin_unlock(&console_lock);
	return POLLOUT | POLLWRNORM | (ready ? POLLIN | POLLRDNORM : VFS_POLL_UNNOTIFIED);
}
