# mk/vdso.mk: the vDSO (docs/vdso.md).
#
# kernel/linux/vdso/vdso.c is built for user space into a shared object
# ($(B)/vdso/vdso.so.dbg, with debug information), stripped into
# $(B)/vdso/vdso.so, checked by kernel/linux/vdso/check.sh (at most two
# pages, one read+exec segment at 0, no relocation, the dynamic entries
# the C libraries read, every name with version LINUX_2.6; the build stops
# otherwise) and embedded in the kernel by kernel/linux/vdso/embed.S.
# mk/kernel.mk leaves kernel/linux/vdso/ out of the kernel's own sources;
# the embedding object joins KERNEL_OBJS here, so both link passes see it.

VDSO_DIR := $(B)/vdso
VDSO_SO := $(VDSO_DIR)/vdso.so
VDSO_OBJ := $(B)/obj/kernel/linux/vdso/embed.o
READELF ?= readelf

# User space: position-independent, no library, nothing exported unless
# marked; unwind tables so that debuggers and unwinders can step through.
VDSO_CFLAGS := -std=c11 -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude \
	-fPIC -O2 -g -fno-stack-protector -fvisibility=hidden -fno-omit-frame-pointer \
	-fasynchronous-unwind-tables -Wall -Wextra -Werror -MMD -MP
VDSO_LDFLAGS := -shared -nostdlib -Wl,-T,kernel/linux/vdso/vdso.lds \
	-Wl,--version-script=kernel/linux/vdso/vdso.map -Wl,-soname=linux-vdso.so.1 \
	-Wl,--hash-style=both -Wl,--eh-frame-hdr -Wl,-Bsymbolic -Wl,-z,defs \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none

$(VDSO_DIR)/vdso.o: kernel/linux/vdso/vdso.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(VDSO_CFLAGS) -c $< -o $@

$(VDSO_DIR)/vdso.so.dbg: $(VDSO_DIR)/vdso.o kernel/linux/vdso/vdso.lds kernel/linux/vdso/vdso.map
	$(Q)$(CC) $(VDSO_LDFLAGS) $< -o $@

$(VDSO_SO): $(VDSO_DIR)/vdso.so.dbg kernel/linux/vdso/check.sh
	$(Q)$(OBJCOPY) -S $< $@.tmp
	$(Q)sh kernel/linux/vdso/check.sh $(READELF) $@.tmp || { rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@
	@echo "  VDSO    $@ ($$(stat -c %s $@) bytes)"

$(VDSO_OBJ): kernel/linux/vdso/embed.S $(VDSO_SO)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KERNEL_ASFLAGS) -DVDSO_SO_PATH='"$(VDSO_SO)"' -c $< -o $@

KERNEL_OBJS += $(VDSO_OBJ)
$(KERNEL): $(VDSO_OBJ)

-include $(VDSO_DIR)/vdso.d $(VDSO_OBJ:.o=.d)

# The built vDSO on the host: glibc's dlopen/dlvsym find its names with
# LINUX_2.6, and its functions, mapped above a data page, give the right
# times and fall back to the host's system calls (tests/vdso/host_check.c).
VDSO_HOST_CHECK := $(HB)/vdso-host-check
$(VDSO_HOST_CHECK): tests/vdso/host_check.c include/osprey/vdso.h $(TEST_REPORT)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -pthread $< tests/lib/report.c -o $@ -ldl

.PHONY: check-vdso
CHECK_STEPS += check-vdso
check-vdso: $(VDSO_SO) $(VDSO_HOST_CHECK)
	$(Q)$(VDSO_HOST_CHECK) $(VDSO_SO)
