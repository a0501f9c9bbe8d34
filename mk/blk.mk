# bench/blk: the whole of a 16 MiB disk read sequentially in 4 KiB and in
# 64 KiB requests, Osprey through its block layer and virtio-blk driver
# (--bench=blk, the disk attached with osprey run --disk) against Linux's
# virtio-blk through /dev/vda opened with O_DIRECT (bench/blk/linux.c as
# /init), same QEMU flags and the same device flags on both sides, same run.
#
# The Linux guest gets exactly what osprey run --disk adds (tools/osprey/qemu.c):
#   -global virtio-mmio.force-legacy=false
#   -drive file=IMG,if=none,format=raw,id=disk0,readonly=on
#   -device virtio-blk-device,drive=disk0
# and its initramfs carries Debian's virtio modules (scripts/deps.sh keeps
# them in build/linux-guest/modules), which the program loads.
#
# Two sets of figures: "BLK" lines are microseconds per request (ratio =
# Osprey / Linux: below 1 is faster, like every other benchmark); "BLKMIBS"
# lines are MiB/s (higher is better, so there the ratio reads the other way:
# above 1 is faster: bench/ratio --higher).  Each program prints the best of
# its rounds; BLK_RUNS runs of each side, alternating, and the best counts.
BLK_DISK := $(BB)/blk-disk.img
BLK_DISK_SECTORS := 32768
BLK_RUNS ?= 3
# Both sides run with QEMU pinned to one host core (BLK_HOST_CPUS; empty for
# no pinning), as bench-sched does: each request hands over between QEMU's
# vCPU thread and its I/O threads (the AIO worker, the main loop that
# raises the interrupt), and when the host spreads them over its two cores
# every hand-over wakes the other core.  Measured on this 2-core host at a
# load of 1.5-2.4, 4 KiB requests: pinned, Osprey 25.6-28.5 us and Linux
# 89-110 us; unpinned, Osprey 62-71 us and Linux 115-130 us (and Osprey's
# runs bimodal between ~28 and ~60 us from one run to the next).
BLK_HOST_CPUS ?= 0
LINUX_MODULES := build/linux-guest/modules
BLK_MODULES := virtio_ring virtio virtio_mmio virtio_blk
BLK_DISK_FLAGS = -global virtio-mmio.force-legacy=false \
	-drive file=$(BLK_DISK),if=none,format=raw,id=disk0,readonly=on \
	-device virtio-blk-device,drive=disk0

$(BLK_DISK): $(MKTESTDISK)
	@mkdir -p $(@D)
	$(Q)$(MKTESTDISK) $@ $(BLK_DISK_SECTORS)

# The modules come with the kernel (scripts/deps.sh --bench).
$(foreach m,$(BLK_MODULES),$(LINUX_MODULES)/$(m).ko):
	$(Q)scripts/deps.sh --bench

$(eval $(call linux-guest-program,blk,bench/blk/linux.c,-D_GNU_SOURCE,\
	$(foreach m,$(BLK_MODULES),/modules/$(m).ko=$(LINUX_MODULES)/$(m).ko)))
$(LG)/bin/blk: bench/blk/pattern.h

# check-bench builds the Linux program (not its initramfs: the modules need
# the download) so that a change to pattern.h that breaks it shows.
check-bench: $(LG)/bin/blk

.PHONY: bench-blk
BENCH_STEPS += bench-blk
bench-blk: LINUX_GUEST_DEVICES = $(BLK_DISK_FLAGS)
bench-blk: $(RATIO) $(BLK_DISK) $(LINUX_VMLINUX) $(LG)/blk.cpio $(KERNEL) $(OSPREY)
	$(Q)rm -f $(BB)/blk-*.txt
	$(Q)$(if $(BLK_HOST_CPUS),taskset -cp $(BLK_HOST_CPUS) $$$$ > /dev/null || exit 1;) \
	for run in $$(seq $(BLK_RUNS)); do \
		$(OSPREY) run -m $(BENCH_MEM) --timeout 600 --kernel $(KERNEL) \
			--disk $(BLK_DISK),ro -e '--bench=blk' > $(BB)/blk-osprey-run.txt || \
			{ cat $(BB)/blk-osprey-run.txt; exit 1; }; \
		cat $(BB)/blk-osprey-run.txt >> $(BB)/blk-osprey.txt; \
		$(call linux-guest-run,blk,$(BB)/blk-linux-run.txt,^BLKMIBS read64k,30); \
		grep -q '^BLKMIBS read64k' $(BB)/blk-linux-run.txt || \
			{ cat $(BB)/blk-linux-run.txt; exit 1; }; \
		cat $(BB)/blk-linux-run.txt >> $(BB)/blk-linux.txt; \
	done
	$(Q)grep -h '^blk: interrupts' $(BB)/blk-osprey.txt | tail -1
	$(Q)$(RATIO) BLK blk osprey $(BB)/blk-osprey.txt linux $(BB)/blk-linux.txt
	$(Q)echo "(MiB/s: higher is better; a ratio above 1 means Osprey is faster)"
	$(Q)$(RATIO) --higher BLKMIBS blk-mibs osprey $(BB)/blk-osprey.txt linux $(BB)/blk-linux.txt
