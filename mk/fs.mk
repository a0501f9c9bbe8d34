# mk/fs.mk: files (docs/files.md).
#
# The portable parts of kernel/fs (the path walker, the rofs image reader
# and writer, the name cache's table) are built into the host unit tests
# and, for the image reader, a fuzz target (tests/fuzz/rofs.c).  `osprey image` builds images from
# modules/; `make check-fs` checks its errors on the broken manifests in
# tests/fs/manifests and an image built from modules/.

FS_PORTABLE_SRCS := kernel/fs/walk.c kernel/fs/rofs_image.c kernel/fs/ncache.c
FS_PORTABLE_DEPS := $(FS_PORTABLE_SRCS) kernel/fs/walk.h kernel/fs/rofs_image.h \
	kernel/fs/ncache.h include/uapi/osprey/rofs.h

UNIT_SRCS += $(FS_PORTABLE_SRCS)
$(UNIT_BIN): $(FS_PORTABLE_DEPS)

FUZZ_SRCS_rofs := kernel/fs/rofs_image.c
$(HB)/fuzz/rofs: $(FS_PORTABLE_DEPS)

# `osprey image` writes images with the same code the kernel reads them with.
$(HB)/tools-osprey/fs-rofs_image.o: kernel/fs/rofs_image.c $(FS_PORTABLE_DEPS)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@
$(HB)/tools-osprey-san/fs-rofs_image.o: kernel/fs/rofs_image.c $(FS_PORTABLE_DEPS)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -c $< -o $@
$(OSPREY): $(HB)/tools-osprey/fs-rofs_image.o
$(OSPREY_UNIT): $(HB)/tools-osprey-san/fs-rofs_image.o

CHECK_FS := $(HB)/check-fs
$(CHECK_FS): tests/fs/check_fs.c $(FS_PORTABLE_DEPS) $(TEST_REPORT)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) tests/fs/check_fs.c tests/lib/report.c \
		kernel/fs/rofs_image.c -o $@

.PHONY: check-fs
CHECK_STEPS += check-fs
check-fs: $(KERNEL) $(OSPREY) $(CHECK_FS)
	$(Q)rm -rf $(B)/fs-check && mkdir -p $(B)/fs-check
	$(Q)$(CHECK_FS) $(OSPREY) $(KERNEL) $(B)/fs-check

# bench/fs: open+read+close of small files and a sequential read of a large
# one, from the image in Osprey (--bench=fs, the image as the initrd) and
# from the initramfs of the Linux guest, same QEMU flags, same run.  Each
# BENCH line's ratio is Osprey's figure over Linux's (ns: lower is better;
# MiB/s: higher is better).
FS_BENCH_DIR := $(BB)/fs-modules
FS_BENCH_IMG := $(BB)/fs.img
FS_BENCH_GEN := $(BB)/fs-gen
FS_BENCH_FILES := $(foreach i,$(shell seq -w 0 63),/bench/small/f$(i)=$(FS_BENCH_DIR)/bench-fs/small/f$(i)) \
	/bench/large=$(FS_BENCH_DIR)/bench-fs/large

$(FS_BENCH_GEN): bench/fs/gen.c bench/fs/pattern.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

$(FS_BENCH_DIR)/bench-fs/manifest: $(FS_BENCH_GEN)
	$(Q)$(FS_BENCH_GEN) $(FS_BENCH_DIR)
$(foreach e,$(FS_BENCH_FILES),$(lastword $(subst =, ,$(e)))): $(FS_BENCH_DIR)/bench-fs/manifest
	@true

$(FS_BENCH_IMG): $(FS_BENCH_DIR)/bench-fs/manifest $(OSPREY)
	$(Q)$(OSPREY) image --modules $(FS_BENCH_DIR) -o $@ bench-fs >/dev/null

$(eval $(call linux-guest-program,fs,bench/fs/linux.c,,$(FS_BENCH_FILES)))
$(LG)/bin/fs: bench/fs/pattern.h

.PHONY: bench-fs
BENCH_STEPS += bench-fs
bench-fs: $(RATIO) $(FS_BENCH_IMG) $(LINUX_VMLINUX) $(LG)/fs.cpio $(KERNEL) $(OSPREY)
	$(Q)$(OSPREY) run -m $(BENCH_MEM) --timeout 600 --kernel $(KERNEL) --initrd $(FS_BENCH_IMG) \
		-e '--bench=fs' > $(BB)/fs-osprey.txt || { cat $(BB)/fs-osprey.txt; exit 1; }
	$(Q)$(call linux-guest-run,fs,$(BB)/fs-linux.txt,^FS large)
	$(Q)$(RATIO) FS fs osprey $(BB)/fs-osprey.txt linux $(BB)/fs-linux.txt

# The manifest parser is untrusted-input parsing too (decision 9).
FUZZ_SRCS_manifest := tools/osprey/image.c tools/osprey/image_tree.c tools/osprey/help.c \
	tools/osprey/err.c tools/osprey/image_list.c \
	kernel/fs/rofs_image.c
$(HB)/fuzz/manifest: tools/osprey/image.c tools/osprey/image_tree.c tools/osprey/image.h \
	tools/osprey/image_list.c \
	$(FS_PORTABLE_DEPS)
