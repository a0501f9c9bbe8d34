/*
 * bench/syscall: the cost of a system call, the same static binary on
 * Osprey and as /init on the Linux guest, same QEMU flags, one run.
 *
 *   getppid         a null system call (the raw syscall instruction)
 *   clock_gettime   CLOCK_MONOTONIC through libc (the vDSO: no system call)
 *   write_devnull   a 1-byte write to /dev/null
 *
 * Prints "SYSCALL <name> <ns per call>", the best of ROUNDS rounds.  As
 * /init (pid 1) on Linux it powers the machine off at the end; on Osprey
 * the reboot call is ENOSYS and the program simply exits.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define CALLS 20000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void report(const char *name, uint64_t best)
{
	printf("SYSCALL %s %.2f\n", name, (double)best / CALLS);
}

int main(void)
{
	uint64_t best[3] = { ~0ull, ~0ull, ~0ull };
	struct timespec ts;
	char byte = 'x';
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0) {
		perror("/dev/null");
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns(), d;

		for (int i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		d = now_ns() - t0;
		best[0] = d < best[0] ? d : best[0];

		t0 = now_ns();
		for (int i = 0; i < CALLS; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		d = now_ns() - t0;
		best[1] = d < best[1] ? d : best[1];

		t0 = now_ns();
		for (int i = 0; i < CALLS; i++)
			if (write(fd, &byte, 1) != 1)
				return 1;
		d = now_ns() - t0;
		best[2] = d < best[2] ? d : best[2];
	}
	report("getppid", best[0]);
	report("clock_gettime", best[1]);
	report("write_devnull", best[2]);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
