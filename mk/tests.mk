# Tests that are not the osprey command's own: host unit tests (ASan and
# UBSan), in-kernel tests on each machine and in the debug build, system tests
# that boot the image and look at it from outside, the clang build, and the
# fuzz targets.  Each step prints "RESULT: N passed, N failed".

UNIT_SRCS := $(wildcard tests/unit/*.c) lib/format.c lib/glob.c lib/test.c \
	kernel/mm/buddy.c kernel/mm/slab.c kernel/mm/pcache.c \
	kernel/core/cmdline.c kernel/drivers/acpi/tables.c kernel/arch/x86_64/bootinfo.c \
	kernel/drivers/virtio/virtq.c kernel/drivers/virtio/blk_check.c
UNIT_BIN := $(HB)/unit-tests

$(UNIT_BIN): $(UNIT_SRCS) $(wildcard include/osprey/*.h) kernel/mm/internal.h kernel/mm/pcache.h \
	kernel/drivers/virtio/virtq.h kernel/drivers/virtio/vblk.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) $(UNIT_SRCS) -o $@

.PHONY: check-unit check-kernel check-kernel-debug check-apic check-system check-clang check-fuzz
CHECK_STEPS += check-unit check-kernel check-kernel-debug check-apic check-system check-clang check-fuzz

check-unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

KTEST_TIMEOUT ?= 120

# Every in-kernel test on each machine Osprey boots on, with 1, 2 and 4
# CPUs, and once more in a 4 MiB guest (the memory floor, docs/memory.md).
KTEST_RUNS := microvm:1 microvm:2 microvm:4 q35:2 pc:1
# The virtio tests again with a disk of known contents attached (virtio-mmio
# on microvm), writable and read-only, with 1 and 2 CPUs; the tests learn the
# disk's size and mode from --env=OSPREY_TEST_DISK (tests/kernel/virtio_blk_test.c).
MKTESTDISK := $(HB)/mktestdisk
TESTDISK_SECTORS := 2048
$(MKTESTDISK): tests/kernel/disk/mktestdisk.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@
check-kernel: $(KERNEL) $(OSPREY) $(MKTESTDISK)
	$(Q)st=0; for r in $(KTEST_RUNS); do \
		m=$${r%%:*}; c=$${r##*:}; \
		echo "-- kernel tests on $$m with $$c CPUs ($(MODE))"; \
		$(OSPREY) test --kernel $(KERNEL) --machine $$m -c $$c --timeout $(KTEST_TIMEOUT) || st=1; \
	done; \
	echo "-- kernel tests in a 4 MiB guest"; \
	$(OSPREY) test --kernel $(KERNEL) -m 4M --timeout $(KTEST_TIMEOUT) || st=1; \
	for c in 1 2; do for mode in rw ro; do \
		img=$(B)/testdisk-$$mode-$$c.img; \
		$(MKTESTDISK) $$img $(TESTDISK_SECTORS) || st=1; \
		if [ $$mode = ro ]; then d=$$img,ro; else d=$$img; fi; \
		echo "-- virtio tests with a $$mode disk, $$c CPUs ($(MODE))"; \
		$(OSPREY) test --kernel $(KERNEL) -c $$c --disk $$d --timeout $(KTEST_TIMEOUT) \
			-e "--env=OSPREY_TEST_DISK=$$mode:$(TESTDISK_SECTORS)" 'virtio*' || st=1; \
	done; done; \
	exit $$st

# The same tests in the debug build (assertions, debug allocator, lock checker),
# which runs several times slower: a longer time limit.
KTEST_DEBUG_TIMEOUT ?= 300
check-kernel-debug:
	$(Q)$(MAKE) --no-print-directory MODE=debug build/debug/osprey.elf $(OSPREY) >/dev/null
	$(Q)st=0; for c in 1 4; do \
		$(OSPREY) test --kernel build/debug/osprey.elf -c $$c --timeout $(KTEST_DEBUG_TIMEOUT) || st=1; \
	done; exit $$st

# The x2APIC and TSC-deadline paths (kernel/arch/x86_64/apic.c).  QEMU's TCG
# CPUs have neither, so these boots use KVM: hardware KVM where the host has
# it, else the kvm_pvm nested hypervisor (osprey --accel pvm), whose CPU has
# both.  The APIC tests and the timer- and IPI-heavy scheduler tests, in each
# mode and fallback with 2 CPUs, and with 4 in the default mode.  No KVM of
# either kind, or one that cannot boot a trivial test (the nested hypervisor
# is not ours to rely on): SKIP, saying so.
APIC_KTESTS := apic.* sched.sleep_is_accurate sched.cpu_hog_is_preempted sched.tickless* \
	smp.every_listed_cpu_is_online smp.threads_run_where_placed \
	balance.set_affinity_moves_and_pins balance.idle_cpu_steals_a_waiting_thread \
	thread.create_and_join futex.* condvar.* mutex.priority_inheritance_prevents_inversion
APIC_COMMA := ,
APIC_GLOB := $(subst $(eval) ,$(APIC_COMMA),$(strip $(APIC_KTESTS)))
check-apic: $(KERNEL) $(OSPREY)
	$(Q)if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then acc=kvm; \
	elif [ -d /sys/module/kvm_pvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then acc=pvm; \
	else echo "SKIP check-apic: no KVM on this host (TCG has no x2APIC or TSC-deadline)"; \
		echo "RESULT: 0 passed, 0 failed"; exit 0; fi; \
	if ! $(OSPREY) test --kernel $(KERNEL) --accel $$acc --timeout 60 \
		boot.command_line_reached_the_kernel > $(B)/check-apic-probe.log 2>&1; then \
		echo "SKIP check-apic: --accel $$acc cannot boot even a trivial test here:"; \
		tail -5 $(B)/check-apic-probe.log; echo "RESULT: 0 passed, 0 failed"; exit 0; fi; \
	st=0; for run in "2:" "2:--apic=xapic" "2:--timer=oneshot" "2:--apic=xapic --timer=oneshot" "4:"; do \
		c=$${run%%:*}; e=$${run#*:}; \
		echo "-- APIC tests, --accel $$acc, $$c CPUs, options '$$e'"; \
		$(OSPREY) test --kernel $(KERNEL) --accel $$acc -c $$c -e "$$e" --timeout $(KTEST_TIMEOUT) \
			'$(APIC_GLOB)' || st=1; \
	done; exit $$st

# The Linux 64-bit boot entry, tested through a stand-in for Firecracker's
# loader (tests/linux64/shim.c) that boots the real kernel from an -initrd.
LINUX64_SHIM := $(B)/linux64-shim.elf
$(LINUX64_SHIM): tests/linux64/shim.S tests/linux64/shim.c tests/linux64/shim.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mno-sse -mno-mmx \
		-fno-stack-protector -fno-asynchronous-unwind-tables -O2 -Wall -Wextra -Werror \
		-c tests/linux64/shim.c -o $(B)/linux64-shim.o
	$(Q)$(CC) -c tests/linux64/shim.S -o $(B)/linux64-shim-entry.o
	$(Q)$(LD) -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
		--no-warn-rwx-segments -T tests/linux64/shim.ld \
		-o $@ $(B)/linux64-shim-entry.o $(B)/linux64-shim.o

SYSTEM_TEST := $(HB)/system-test
# The host-side check programs share their PASS/FAIL reporting.
TEST_REPORT := tests/lib/report.c tests/lib/report.h

# ... and their way of running osprey and capturing what it prints.
TEST_CAPTURE := tests/lib/capture.c tests/lib/capture.h

$(SYSTEM_TEST): tests/system/system_test.c $(TEST_REPORT) $(TEST_CAPTURE)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< tests/lib/report.c tests/lib/capture.c -o $@

check-system: $(KERNEL) $(OSPREY) $(SYSTEM_TEST) $(LINUX64_SHIM)
	$(Q)$(SYSTEM_TEST) $(OSPREY) $(KERNEL) $(LINUX64_SHIM)

# Everything again with clang, into its own build directories; its kernel
# must pass the in-kernel tests too.
check-clang: $(OSPREY)
	$(Q)if ! command -v clang >/dev/null; then \
		echo "SKIP clang build: clang is not installed"; echo "RESULT: 0 passed, 0 failed"; \
		exit 0; fi
	$(Q)$(MAKE) --no-print-directory CC=clang all >/dev/null && \
		{ echo "PASS clang build"; echo "RESULT: 1 passed, 0 failed"; } || \
		{ echo "FAIL clang build"; echo "RESULT: 0 passed, 1 failed"; exit 1; }
	$(Q)$(OSPREY) test --kernel build/$(MODE)-clang/osprey.elf -c 2 --timeout $(KTEST_TIMEOUT)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined
FUZZ_RUNS ?= 1000000
FUZZ_SRCS_cmdline := kernel/core/cmdline.c lib/format.c
FUZZ_SRCS_acpi := kernel/drivers/acpi/tables.c
FUZZ_SRCS_bootinfo := kernel/arch/x86_64/bootinfo.c
FUZZ_SRCS_virtq := kernel/drivers/virtio/virtq.c kernel/drivers/virtio/blk_check.c

$(HB)/fuzz/%: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS_$*) -o $@

# Each target runs a bounded number of inputs from its seed corpus.
check-fuzz: $(addprefix $(HB)/fuzz/,$(FUZZ_TARGETS))
	$(Q)p=0; f=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz-corpus/$$t; \
		if $(HB)/fuzz/$$t -runs=$(FUZZ_RUNS) -max_len=4096 build/fuzz-corpus/$$t \
			tests/fuzz/corpus/$$t > build/fuzz-$$t.log 2>&1; then \
			echo "PASS fuzz.$$t ($(FUZZ_RUNS) runs)"; p=$$((p+1)); \
		else echo "FAIL fuzz.$$t: see build/fuzz-$$t.log"; tail -30 build/fuzz-$$t.log; f=$$((f+1)); fi; \
	done; echo "RESULT: $$p passed, $$f failed"; [ $$f -eq 0 ]


# Every shipped profile must build and boot; release and debug run the full
# tests above, the others boot the default image.
check-profiles: $(OSPREY)
	$(Q)p=0; f=0; for prof in $(filter-out release debug,$(notdir $(wildcard conf/profiles/*))); do \
		if $(MAKE) --no-print-directory PROFILE=$$prof build/$$prof/osprey.elf >/dev/null 2>&1 && \
			$(OSPREY) run --timeout 30 --kernel build/$$prof/osprey.elf > build/profile-$$prof.log 2>&1 && \
			grep -q "Osprey unikernel" build/profile-$$prof.log; then \
			echo "PASS profile.$$prof builds and boots"; p=$$((p+1)); \
		else echo "FAIL profile.$$prof: see build/profile-$$prof.log"; f=$$((f+1)); fi; \
	done; echo "RESULT: $$p passed, $$f failed"; [ $$f -eq 0 ]
.PHONY: check-profiles
CHECK_STEPS += check-profiles
