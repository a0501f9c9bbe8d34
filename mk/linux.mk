# mk/linux.mk: the Linux ABI (kernel/linux/).
#
# The portable parts of kernel/linux (the ELF program-header parser) are
# built into the host unit tests (tests/unit/elf_test.c) and a fuzz target
# (tests/fuzz/elf.c, seeds in tests/fuzz/corpus/elf); the kernel picks up
# kernel/linux/*.c by its own wildcard.
#
#   make syscalls-doc   rewrite docs/syscalls.md from kernel/linux/syscalls.def
#   make check-syscalls docs/syscalls.md is current (a step of make check)

LINUX_PORTABLE_SRCS := kernel/linux/elf.c
LINUX_PORTABLE_DEPS := $(LINUX_PORTABLE_SRCS) kernel/linux/elf.h

UNIT_SRCS += $(LINUX_PORTABLE_SRCS)
$(UNIT_BIN): $(LINUX_PORTABLE_DEPS)

FUZZ_SRCS_elf := kernel/linux/elf.c
$(HB)/fuzz/elf: $(LINUX_PORTABLE_DEPS)

GENSYSCALLS := $(HB)/gensyscalls
TOOLS += $(GENSYSCALLS)

$(GENSYSCALLS): tools/gensyscalls/gensyscalls.c kernel/linux/syscalls.def
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@

.PHONY: syscalls-doc check-syscalls
syscalls-doc: $(GENSYSCALLS)
	$(Q)$(GENSYSCALLS) > docs/syscalls.md
	@echo "  GEN     docs/syscalls.md"

CHECK_STEPS += check-syscalls
check-syscalls: $(GENSYSCALLS)
	$(Q)if $(GENSYSCALLS) | cmp -s - docs/syscalls.md; then \
		echo "PASS syscalls.doc_is_current"; echo "RESULT: 1 passed, 0 failed"; \
	else echo "FAIL syscalls.doc_is_current: run make syscalls-doc"; \
		echo "RESULT: 0 passed, 1 failed"; fi

# ---- check-linux: static programs run on Osprey -----------------------------
# tests/linux/*.c built static against musl (musl-gcc) and glibc (gcc), plus
# a static-PIE and a dynamic build of hello; tests/linux/check_linux.c runs
# them with `osprey run PROGRAM` and checks status and console.

LT := $(HB)/linux
LINUX_TEST_BINS := $(addprefix $(LT)/,abi-musl abi-glibc procself-musl procself-glibc \
	hello-musl hello-glibc hello-pie hello-dynamic segv-musl segv-glibc)
LINUX_TEST_CFLAGS := -O2 -Wall -Wextra -Werror
CHECK_LINUX := $(HB)/check-linux

$(LT)/%-musl: tests/linux/%.c
	@mkdir -p $(@D)
	$(Q)musl-gcc -static $(LINUX_TEST_CFLAGS) -o $@ $< -lpthread
$(LT)/%-glibc: tests/linux/%.c
	@mkdir -p $(@D)
	$(Q)gcc -static $(LINUX_TEST_CFLAGS) -pthread -o $@ $<
$(LT)/hello-pie: tests/linux/hello.c
	@mkdir -p $(@D)
	$(Q)gcc -static-pie -fPIE $(LINUX_TEST_CFLAGS) -o $@ $<
$(LT)/hello-dynamic: tests/linux/hello.c
	@mkdir -p $(@D)
	$(Q)gcc $(LINUX_TEST_CFLAGS) -o $@ $<

$(CHECK_LINUX): tests/linux/check_linux.c $(TEST_REPORT) $(TEST_CAPTURE)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< tests/lib/report.c tests/lib/capture.c -o $@

.PHONY: check-linux
CHECK_STEPS += check-linux
check-linux: $(CHECK_LINUX) $(LINUX_TEST_BINS) $(KERNEL) $(OSPREY)
	$(Q)$(CHECK_LINUX) $(OSPREY) $(KERNEL) $(LT)
