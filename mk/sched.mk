# bench/sched: thread switch and wake-up round trips, Osprey's kernel threads
# (--bench=sched) against pthreads in a static program on the Linux guest,
# same QEMU flags and two vCPUs on both sides, in one run: switch and
# pingpong with both threads pinned to one CPU, pingpong_2cpu with them
# pinned to two (every wake-up an IPI to a halted vCPU).  SCHED_RUNS
# alternating runs of each side; the best figure of each name counts.
# "sched-abi" is the same static pthreads program run on Osprey through the
# Linux ABI (futexes, sched_yield, sched_setaffinity), beside the same
# Linux figures: the program is identical on both sides there.
#
# The Linux guest boots with tsc=reliable: with two vCPUs under TCG its
# boot-time TSC sync check sees a warp ("Marking TSC unstable due to TSCs
# unsynchronized"), and microvm has no HPET or ACPI PM timer, so it falls
# back to refined-jiffies: clock_gettime() then moves in 4 ms steps (HZ=250)
# and a cross-CPU round (1,000 trips, ~30 ms) is timed to +-4 ms.  Osprey
# reads the TSC without such a check; the option gives Linux the same clock
# and changed its figures only within the noise (docs/benchmarks.md).
#
# A Linux run takes ~6 s; each try gets 30 s, since the guest now and then
# hangs at boot and prints nothing (its PIT calibration of the TSC fails
# under TCG, and microvm has nothing else to calibrate against).
#
# Both sides run with QEMU pinned to one host core (SCHED_HOST_CPUS; empty
# for no pinning).  Under MTTCG the cross-CPU round trip depends mostly on
# where the host puts QEMU's two vCPU threads: on one core it measured
# 13.3 us (Osprey) and 29 us (Linux); spread over two, 51.7 us and 88-95 us,
# the difference being the host waking its other, idle core twice per round
# trip (this host is itself a virtual machine).  Unpinned, each run fell
# into one mode or the other, so the ratio compared the host's moods.
SCHED_CPUS := 2
SCHED_RUNS ?= 3
SCHED_HOST_CPUS ?= 0

$(LG)/bin/sched: bench/sched/linux.c
	@mkdir -p $(@D)
	$(Q)$(CC) -static -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		-pthread -o $@ $<
$(eval $(call linux-guest-initramfs,sched,$(LG)/bin/sched))

.PHONY: bench-sched
BENCH_STEPS += bench-sched
bench-sched: BENCH_CPUS := $(SCHED_CPUS)
bench-sched: LINUX_APPEND += tsc=reliable
bench-sched: $(RATIO) $(LINUX_VMLINUX) $(LG)/sched.cpio $(KERNEL) $(OSPREY)
	$(Q)rm -f $(BB)/sched-*.txt
	$(Q)$(if $(SCHED_HOST_CPUS),taskset -cp $(SCHED_HOST_CPUS) $$$$ > /dev/null || exit 1;) \
	for run in $$(seq $(SCHED_RUNS)); do \
		$(OSPREY) run -m $(BENCH_MEM) -c $(SCHED_CPUS) --timeout 300 --kernel $(KERNEL) \
			-e '--bench=sched' >> $(BB)/sched-osprey.txt || exit 1; \
		$(OSPREY) run -m $(BENCH_MEM) -c $(SCHED_CPUS) --timeout 300 --kernel $(KERNEL) \
			$(LG)/bin/sched >> $(BB)/sched-abi.txt || exit 1; \
		$(call linux-guest-run,sched,$(BB)/sched-linux-run.txt,^SCHED pingpong_2cpu,30); \
		cat $(BB)/sched-linux-run.txt >> $(BB)/sched-linux.txt; \
	done
	$(Q)$(RATIO) SCHED sched osprey $(BB)/sched-osprey.txt linux $(BB)/sched-linux.txt
	$(Q)$(RATIO) SCHED sched-abi osprey $(BB)/sched-abi.txt linux $(BB)/sched-linux.txt
