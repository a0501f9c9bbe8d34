# bench/sched: thread switch and wake-up round trips, Osprey's kernel threads
# (--bench=sched) against pthreads in a static program on the Linux guest,
# same QEMU flags, in one run, both threads pinned to one CPU.  Osprey also
# reports the cross-CPU round trip (two vCPUs); the Linux guest's own
# cross-CPU ping-pong (same program, -smp 2) did not finish 3,000 round trips
# within 100 s under TCG here, so it has no baseline yet (docs/benchmarks.md).

$(LG)/bin/sched: bench/sched/linux.c
	@mkdir -p $(@D)
	$(Q)$(CC) -static -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		-pthread -o $@ $<
$(eval $(call linux-guest-initramfs,sched,$(LG)/bin/sched))

.PHONY: bench-sched
BENCH_STEPS += bench-sched
bench-sched: $(RATIO) $(LINUX_VMLINUX) $(LG)/sched.cpio $(KERNEL) $(OSPREY)
	$(Q)rm -f $(BB)/sched-*.txt
	$(Q)for run in 1 2; do \
		$(OSPREY) run -m $(BENCH_MEM) -c 2 --timeout 300 --kernel $(KERNEL) -e '--bench=sched' \
			>> $(BB)/sched-osprey.txt || exit 1; \
		$(call linux-guest-run,sched,$(BB)/sched-linux-run.txt,^SCHED switch); \
		cat $(BB)/sched-linux-run.txt >> $(BB)/sched-linux.txt; \
	done
	$(Q)$(RATIO) SCHED sched osprey $(BB)/sched-osprey.txt linux $(BB)/sched-linux.txt
