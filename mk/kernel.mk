# The kernel: freestanding C11 and a little assembly, linked twice so that the
# image carries its own symbol table (kernel/core/ksyms.c).

KERNEL := $(B)/osprey.elf
MKSYMS := $(HB)/mksyms
TOOLS += $(MKSYMS)

KERNEL_CFLAGS := -std=c11 -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude/libc -Iinclude -I$(B)/include \
	-mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-avx \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-common \
	-O2 -g -Wall -Wextra -Werror -MMD -MP
KERNEL_ASFLAGS := -Iinclude -I$(B)/include -D__ASSEMBLY__ -MMD -MP
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
	-T kernel/arch/x86_64/kernel.ld

# Host-portable tests that also run inside the kernel (one framework, both sides).
PORTABLE_TESTS := $(wildcard tests/unit/format_test.c tests/unit/glob_test.c \
	tests/unit/cmdline_test.c tests/unit/acpi_test.c)

# kernel/linux/vdso/ is built for user space (mk/vdso.mk), not into the kernel.
KERNEL_SRCS := $(filter-out kernel/linux/vdso/%,\
	$(wildcard kernel/*/*.c kernel/*/*/*.c kernel/*/*/*/*.c)) \
	lib/string.c lib/format.c lib/glob.c lib/test.c
KERNEL_ASM := $(wildcard kernel/arch/x86_64/*.S)
include $(CONFIG_MK)
ifeq ($(CONFIG_KERNEL_TESTS),1)
KERNEL_SRCS += $(wildcard tests/kernel/*.c) $(PORTABLE_TESTS)
endif

KERNEL_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(KERNEL_SRCS)) \
	$(patsubst %.S,$(B)/obj/%.o,$(KERNEL_ASM))

$(B)/obj/%.o: %.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

# The string functions must not be turned back into calls to themselves.
ifneq ($(findstring clang,$(CC)),)
$(B)/obj/lib/string.o: KERNEL_CFLAGS += -fno-builtin
else
$(B)/obj/lib/string.o: KERNEL_CFLAGS += -fno-builtin -fno-tree-loop-distribute-patterns
endif

$(B)/obj/%.o: %.S $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

$(MKSYMS): tools/mksyms/mksyms.c include/uapi/osprey/ksyms.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@

# Pass 1 links an empty table; its text symbols become the table of pass 2.
# The image QEMU loads carries no ELF symbols or debug information: QEMU
# reads and sorts an image's symbol table on every load (~0.15 ms of each
# boot).  They are in $(KERNEL).debug, which gdb finds through the image's
# debug link (nm, addr2line and objdump take it directly).
# .ksyms is the last section, so no address before it moves; the recipe checks
# that the text symbols of both passes are the same.
$(KERNEL): $(KERNEL_OBJS) $(MKSYMS) kernel/arch/x86_64/kernel.ld
	$(Q)$(MKSYMS) 0xffffffff80100000 < /dev/null > $(B)/ksyms0.S
	$(Q)$(CC) -c $(B)/ksyms0.S -o $(B)/ksyms0.o
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $(B)/osprey.pass1.elf $(KERNEL_OBJS) $(B)/ksyms0.o
	$(Q)$(NM) -n $(B)/osprey.pass1.elf | $(MKSYMS) 0xffffffff80100000 > $(B)/ksyms.S
	$(Q)$(CC) -c $(B)/ksyms.S -o $(B)/ksyms.o
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(B)/ksyms.o
	$(Q)$(NM) -n $(B)/osprey.pass1.elf | grep -i ' t ' > $(B)/syms1.txt
	$(Q)$(NM) -n $@.tmp | grep -i ' t ' > $(B)/syms2.txt
	$(Q)cmp -s $(B)/syms1.txt $(B)/syms2.txt || \
		{ echo "kernel: the symbol table moved text between link passes"; exit 1; }
	$(Q)$(OBJCOPY) --only-keep-debug $@.tmp $@.debug
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$@.debug $@.tmp $@
	$(Q)rm -f $@.tmp
	@echo "  KERNEL  $@ ($$(stat -c %s $@) bytes)"

-include $(KERNEL_OBJS:.o=.d)
