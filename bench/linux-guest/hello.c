/*
 * hello: the smallest useful /init for the Linux guest baseline.  Prints
 * "hello" on the console and powers the machine off, which ends QEMU.
 *
 * Built static (musl-gcc -static, or cc -static).  It powers off only when
 * it runs as PID 1, so running it on the host by mistake just prints.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "hello\n";
	if (write(1, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1))
		return 1;
	if (getpid() != 1)
		return 0;
	sync();
	/* RB_POWER_OFF is LINUX_REBOOT_CMD_POWER_OFF. */
	reboot(RB_POWER_OFF);
	/* Still here: exiting /init panics the kernel, and with panic=-1 and
	 * QEMU's -no-reboot that ends QEMU too. */
	fprintf(stderr, "hello: reboot: %s\n", strerror(errno));
	return 1;
}
