# bench/syscall: a null system call (getppid), clock_gettime through the
# vDSO, and 1-byte writes to /dev/null: the same static binary on Osprey
# (osprey run ./prog) and as /init on the Linux guest, same QEMU flags
# (microvm, 128 MiB, one vCPU, TCG), alternating, best of all rounds.

$(eval $(call linux-guest-program,syscall,bench/syscall/syscall.c))

.PHONY: bench-syscall
BENCH_STEPS += bench-syscall
bench-syscall: $(RATIO) $(LINUX_VMLINUX) $(LG)/syscall.cpio $(KERNEL) $(OSPREY)
	$(Q)rm -f $(BB)/syscall-*.txt
	$(Q)for run in 1 2 3; do \
		$(OSPREY) run -m $(BENCH_MEM) -c 1 --timeout 120 --kernel $(KERNEL) \
			$(LG)/bin/syscall >> $(BB)/syscall-osprey.txt || exit 1; \
		$(call linux-guest-run,syscall,$(BB)/syscall-linux-run.txt,^SYSCALL write_devnull); \
		cat $(BB)/syscall-linux-run.txt >> $(BB)/syscall-linux.txt; \
	done
	$(Q)$(RATIO) SYSCALL syscall osprey $(BB)/syscall-osprey.txt linux $(BB)/syscall-linux.txt
