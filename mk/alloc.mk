# bench/alloc: malloc+free pairs per size and a mixed pattern (bench/alloc/
# pattern.h), each comparison native against native or emulated against
# emulated, in one run:
#   host   the kernel's allocator core built for the host  vs  glibc malloc
#   guest  kmalloc in Osprey (--bench=alloc)                vs  glibc malloc in
#          a static program on the Linux guest, same QEMU flags
# docs/benchmarks.md has the details.

ALLOC_HOST := $(BB)/alloc-host

$(ALLOC_HOST): bench/alloc/host.c bench/alloc/pattern.h kernel/mm/slab.c kernel/mm/buddy.c \
		kernel/mm/internal.h kernel/mm/classes.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ bench/alloc/host.c kernel/mm/slab.c kernel/mm/buddy.c


# The Linux guest's program uses glibc, like the host baseline (musl's
# malloc would be a weaker baseline).
$(LG)/bin/alloc: bench/alloc/linux.c bench/alloc/pattern.h
	@mkdir -p $(@D)
	$(Q)$(CC) -static -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -o $@ $<
$(eval $(call linux-guest-initramfs,alloc,$(LG)/bin/alloc))

.PHONY: bench-alloc
BENCH_STEPS += bench-alloc
bench-alloc: $(ALLOC_HOST) $(RATIO) $(LINUX_VMLINUX) $(LG)/alloc.cpio $(KERNEL) $(OSPREY)
	$(Q)rm -f $(BB)/alloc-*.txt
	@# Each side runs three times (host) or twice (guests), alternating, so that
	@# noise from the host lands on both; the best of all rounds counts.
	$(Q)for i in 1 2 3; do \
		$(ALLOC_HOST) ours >> $(BB)/alloc-host-ours.txt; \
		$(ALLOC_HOST) glibc >> $(BB)/alloc-host-glibc.txt; \
	done
	$(Q)$(RATIO) ALLOC host ours $(BB)/alloc-host-ours.txt glibc $(BB)/alloc-host-glibc.txt
	$(Q)for run in 1 2; do \
		$(OSPREY) run -m $(BENCH_MEM) --timeout 600 --kernel $(KERNEL) -e '--bench=alloc' \
			>> $(BB)/alloc-osprey.txt || exit 1; \
		$(call linux-guest-run,alloc,$(BB)/alloc-linux-run.txt,^ALLOC mixed); \
		cat $(BB)/alloc-linux-run.txt >> $(BB)/alloc-linux.txt; \
	done
	$(Q)$(RATIO) ALLOC guest osprey $(BB)/alloc-osprey.txt linux $(BB)/alloc-linux.txt
