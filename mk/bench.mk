# mk/bench.mk: benchmarks (make bench) and the Linux guest harness.
# docs/benchmarks.md says what each benchmark measures and how to add one.
#
#   make bench         scripts/deps.sh --bench, then every step of BENCH_STEPS
#   make bench-boot    one step: boot wall time of Osprey, a do-nothing PVH
#                      kernel and Debian's Linux, plus Osprey's boot chart
#
# A benchmark adds itself with  BENCH_STEPS += bench-NAME  and a phony target
# bench-NAME that prints its figure beside a baseline from the same run, with
# one "BENCH figure name=value ..." line per figure.
#
# The Linux guest harness, for any benchmark that wants "the same static
# program on Linux, same QEMU flags":
#   $(LINUX_VMLINUX)                      Debian's kernel, decompressed (PVH ELF)
#   $(eval $(call linux-guest-program,NAME,SOURCES[,CFLAGS[,EXTRA]]))
#       builds SOURCES static into $(LG)/bin/NAME and the initramfs
#       $(LG)/NAME.cpio with it as /init
#   $(eval $(call linux-guest-initramfs,NAME,PROGRAM[,EXTRA]))
#       only the initramfs, for a program built elsewhere; EXTRA is a list of
#       /DEST=SRC host files to add
#   $(call linux-guest-cmd,NAME)          the QEMU command line that boots it
#   $(LINUX_APPEND)                       the kernel command line used
#   $(BENCH_CPUS)                         its vCPUs: 1, or what a benchmark's
#                                         target sets (bench-sched: 2)

OSPREY ?= $(HB)/osprey
KERNEL ?= $(B)/osprey.elf

# Built per compiler (HB is build/host or build/host-clang); the Linux kernel
# is the same for all, in build/linux-guest.
BB := $(HB)/bench
LG := $(BB)/linux-guest
LINUX_VMLINUZ := build/linux-guest/vmlinuz
LINUX_VMLINUX := build/linux-guest/vmlinux
LINUX_APPEND := console=ttyS0 quiet panic=-1 loglevel=0

# The guest settings every boot benchmark uses, for Osprey and baselines alike.
BENCH_MEM ?= 128M
BENCH_ACCEL ?= tcg
# One vCPU; a benchmark that gives Osprey more (osprey run -c N) sets it for
# its own target (bench-NAME: BENCH_CPUS := N) so that the Linux guest gets
# as many.
BENCH_CPUS ?= 1
# The flags osprey run gives QEMU on microvm (osprey run --dry-run); the
# benchmarks take them from --dry-run and use this copy only when that fails.
# Expanded late, for BENCH_CPUS.
BENCH_QEMU_FLAGS = -nodefaults -no-user-config -nographic -no-reboot \
	-M microvm,x-option-roms=off,rtc=on -accel $(BENCH_ACCEL) -cpu max -m $(BENCH_MEM) \
	-smp $(BENCH_CPUS) -serial stdio -device isa-debug-exit,iobase=0x501,iosize=0x02
BENCH_QEMU = qemu-system-x86_64 $(BENCH_QEMU_FLAGS)

BOOT_RUNS ?= 20
BOOT_LINUX_RUNS ?= 5

# Static programs for the Linux guest: musl when there, else the C library.
BENCH_STATIC_CC = $(if $(shell command -v musl-gcc 2>/dev/null),musl-gcc,$(CC))

BOOTBENCH := $(BB)/bootbench
MKCPIO := $(BB)/mkcpio
EXTRACT_VMLINUX := $(BB)/extract-vmlinux
BENCH_TOOLS := $(BOOTBENCH) $(MKCPIO) $(EXTRACT_VMLINUX)

$(BOOTBENCH): bench/boot/bootbench.c
$(MKCPIO): bench/linux-guest/mkcpio.c
$(EXTRACT_VMLINUX): bench/linux-guest/extract-vmlinux.c
$(BENCH_TOOLS):
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

# scripts/deps.sh --bench fetches Debian's bzImage; the payload is one xz
# stream followed by a 4-byte size, hence --single-stream.
$(LINUX_VMLINUZ):
	$(Q)scripts/deps.sh --bench

$(LINUX_VMLINUX): $(LINUX_VMLINUZ) | $(EXTRACT_VMLINUX)
	$(Q)$(EXTRACT_VMLINUX) $< | xz -dc --single-stream > $@.tmp
	$(Q)$(EXTRACT_VMLINUX) -c $@.tmp
	$(Q)mv $@.tmp $@

# $(call linux-guest-initramfs,NAME,PROGRAM[,EXTRA])
define linux-guest-initramfs
$(LG)/$(1).cpio: $(2) $(MKCPIO) $(foreach e,$(3),$(lastword $(subst =, ,$(e))))
	@mkdir -p $$(@D)
	$$(Q)$$(MKCPIO) -o $$@ $(2) $(3)
endef

# $(call linux-guest-program,NAME,SOURCES[,CFLAGS[,EXTRA]])
define linux-guest-program
$(LG)/bin/$(1): $(2)
	@mkdir -p $$(@D)
	$$(Q)$$(BENCH_STATIC_CC) -static -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror \
		$(3) -o $$@ $(2)
$(call linux-guest-initramfs,$(1),$(LG)/bin/$(1),$(4))
endef

# $(call linux-guest-cmd,NAME): boot $(LG)/NAME.cpio on Linux; the program's
# output is on stdout, and QEMU ends when it powers off or exits.
# LINUX_GUEST_DEVICES: QEMU flags for devices, set by a benchmark's target
# to what osprey run adds for the same option (bench-blk: --disk).
LINUX_GUEST_DEVICES ?=
linux-guest-cmd = $(BENCH_QEMU) $(LINUX_GUEST_DEVICES) -kernel $(LINUX_VMLINUX) -initrd $(LG)/$(1).cpio \
	-append '$(LINUX_APPEND)'

# $(call linux-guest-run,NAME,OUT,PATTERN[,SECONDS]): a shell loop for a
# recipe that boots NAME on the Linux guest into OUT until OUT holds PATTERN.
# The guest now and then hangs at boot under TCG (docs/benchmarks.md): each
# try gets SECONDS (120 unless given), and there are three.
linux-guest-run = for try in 1 2 3; do \
		timeout $(or $(4),120) $(call linux-guest-cmd,$(1)) > $(2); \
		grep -q '$(3)' $(2) && break; \
		echo "$(1): the Linux guest did not finish (try $$try)"; \
	done

# bench/ratio.c puts our figures beside the baseline's, for every benchmark.
RATIO := $(BB)/ratio
$(RATIO): bench/ratio.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

$(eval $(call linux-guest-program,hello,bench/linux-guest/hello.c))

# Run hello on the Linux guest once, to see the harness work.
linux-guest-hello: $(LINUX_VMLINUX) $(LG)/hello.cpio
	$(Q)$(call linux-guest-cmd,hello)

# ---- the boot benchmark ---------------------------------------------------

$(BB)/nothing.elf: bench/boot/nothing.S bench/boot/nothing.ld
	@mkdir -p $(@D)
	$(Q)$(CC) -c bench/boot/nothing.S -o $(BB)/nothing.o
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -T bench/boot/nothing.ld -o $@ $(BB)/nothing.o

bench-boot: $(BOOTBENCH) $(BB)/nothing.elf $(LINUX_VMLINUX) $(LG)/hello.cpio $(KERNEL) $(OSPREY)
	$(Q)BOOTBENCH=$(BOOTBENCH) OSPREY=$(OSPREY) KERNEL=$(KERNEL) NOTHING=$(BB)/nothing.elf \
		VMLINUX=$(LINUX_VMLINUX) INITRD=$(LG)/hello.cpio BENCH_DIR=$(BB) \
		BENCH_MEM=$(BENCH_MEM) BENCH_ACCEL=$(BENCH_ACCEL) LINUX_APPEND='$(LINUX_APPEND)' \
		BOOT_RUNS=$(BOOT_RUNS) BOOT_LINUX_RUNS=$(BOOT_LINUX_RUNS) \
		BENCH_QEMU_FLAGS='$(BENCH_QEMU_FLAGS)' bash bench/boot/run.sh

BENCH_STEPS += bench-boot

# ---- make bench -----------------------------------------------------------

# deps.sh first (it may install the compilers), then the steps in a sub-make
# so that each step's prerequisites (kernel, osprey, guest files) are built
# after it.  Every step runs even when one fails; bench fails if any did.
bench:
	$(Q)scripts/deps.sh --bench
	$(Q)$(MAKE) --no-print-directory bench-steps

bench-steps:
	$(Q)st=0; for s in $(BENCH_STEPS); do \
		echo "== $$s"; \
		$(MAKE) --no-print-directory $$s || { echo "== $$s FAILED"; st=1; }; \
	done; exit $$st

# make check: the benchmark tools build (-Werror, gcc or clang), mkcpio writes
# what cpio reads back, and the do-nothing kernel boots (~25 ms).  The Linux
# guest is not booted here: it needs a download and takes seconds.
CHECK_STEPS += check-bench
check-bench: $(BENCH_TOOLS) $(BB)/nothing.elf $(LG)/hello.cpio
	$(Q)p=0; f=0; \
	if cpio -it --quiet < $(LG)/hello.cpio | tr '\n' ' ' | \
		grep -qx 'dev dev/console dev/null init '; then \
		echo "PASS bench.mkcpio"; p=$$((p+1)); \
	else echo "FAIL bench.mkcpio: unexpected archive listing"; f=$$((f+1)); fi; \
	if $(EXTRACT_VMLINUX) -c $(BB)/nothing.elf; then \
		echo "PASS bench.pvh-note"; p=$$((p+1)); \
	else echo "FAIL bench.pvh-note"; f=$$((f+1)); fi; \
	out=$$(timeout 60 $(BENCH_QEMU) -kernel $(BB)/nothing.elf < /dev/null 2>&1); st=$$?; \
	if [ $$st -eq 1 ] && [ "$$out" = Hi ]; then \
		echo "PASS bench.nothing-boots"; p=$$((p+1)); \
	else echo "FAIL bench.nothing-boots: status $$st, output '$$out'"; f=$$((f+1)); fi; \
	echo "RESULT: $$p passed, $$f failed"; [ $$f -eq 0 ]

.PHONY: bench-steps bench-boot linux-guest-hello check-bench
