# mk/tools.mk: the `osprey` host command and its tests (step check-tools).
#
#   $(OSPREY)                 build/host/osprey
#   make check-tools          unit tests of the parsers and the QEMU argv builder
#                             (ASan + UBSan), the command against a fake QEMU, and a
#                             real QEMU boot of a tiny PVH stub on each machine type;
#                             none of them needs the kernel.
#
# lib/glob.c is compiled in so that `osprey test GLOB` selects exactly what the
# kernel's --test=GLOB does, and kernel/core/cmdline.c (with lib/format.c) so
# that `osprey run PROGRAM ARGS` checks its quoting with the kernel's parser.

OSPREY := $(HB)/osprey
TOOLS += $(OSPREY)
CHECK_STEPS += check-tools

OSPREY_SRCS := $(wildcard tools/osprey/*.c)
OSPREY_LIB := glob format core-cmdline
OSPREY_OBJS := $(patsubst tools/osprey/%.c,$(HB)/tools-osprey/%.o,$(OSPREY_SRCS)) \
	$(patsubst %,$(HB)/tools-osprey/lib-%.o,$(OSPREY_LIB))
OSPREY_SAN_OBJS := $(patsubst tools/osprey/%.c,$(HB)/tools-osprey-san/%.o, \
	$(filter-out %/main.c,$(OSPREY_SRCS))) $(patsubst %,$(HB)/tools-osprey-san/lib-%.o,$(OSPREY_LIB))
OSPREY_UNIT := $(HB)/tests/tools/unit
OSPREY_STUB := $(HB)/tests/tools/pvh-stub.elf

$(HB)/tools-osprey/%.o: tools/osprey/%.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(HB)/tools-osprey/lib-%.o: lib/%.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

# `osprey run PROGRAM` reads its command line back with the kernel's own parser.
$(HB)/tools-osprey/lib-core-cmdline.o: kernel/core/cmdline.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

# Linked statically: every boot starts this process first, and without the
# dynamic loader it starts ~0.15 ms sooner (docs/benchmarks.md).  It needs
# nothing a static C library lacks (no NSS, no dlopen).
$(OSPREY): $(OSPREY_OBJS)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -static $^ -o $@

$(HB)/tools-osprey-san/%.o: tools/osprey/%.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(HB)/tools-osprey-san/lib-%.o: lib/%.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(HB)/tools-osprey-san/lib-core-cmdline.o: kernel/core/cmdline.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(OSPREY_UNIT): tests/tools/unit.c tools/osprey/osprey.h $(OSPREY_SAN_OBJS)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -Itools/osprey $(filter-out %.h,$^) -o $@

# A do-nothing PVH guest for the real-QEMU tests: 32-bit code, linked at 1 MiB.
$(OSPREY_STUB): tests/tools/pvh-stub.S
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -c $< -o $(@:.elf=.o)
	$(Q)$(LD) -nostdlib -static -Ttext=0x100000 -o $@ $(@:.elf=.o)

.PHONY: check-tools
check-tools: $(OSPREY) $(OSPREY_UNIT) $(OSPREY_STUB)
	$(Q)OSPREY=$(OSPREY) UNIT=$(OSPREY_UNIT) STUB=$(OSPREY_STUB) sh tests/tools/check.sh

-include $(wildcard $(HB)/tools-osprey/*.d $(HB)/tools-osprey-san/*.d)
