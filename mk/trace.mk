# mk/trace.mk: tracing's host side and its checks (docs/tracing.md).
#
#   make check-trace   boots the kernel with tracing on (microvm, q35, pc),
#                      collects the trace from COM2 and checks what
#                      `osprey trace` makes of it; also bad trace files
#   make bench-trace   the cost of a disabled and of an enabled tracepoint,
#                      measured in the guest (--bench=trace), beside the
#                      same loop without a tracepoint
#
# The trace file parser (tools/osprey/tracefile.c) is also built into the
# unit tests (ASan + UBSan) and has a fuzz target, tests/fuzz/tracefile.c.

TRACEFILE_SRCS := tools/osprey/tracefile.c
TRACEFILE_DEPS := $(TRACEFILE_SRCS) tools/osprey/tracefile.h include/uapi/osprey/trace.h

UNIT_SRCS += $(TRACEFILE_SRCS)
$(UNIT_BIN): $(TRACEFILE_DEPS)

FUZZ_SRCS_tracefile := $(TRACEFILE_SRCS)
$(HB)/fuzz/tracefile: $(TRACEFILE_DEPS)

TRACE_TEST := $(HB)/trace-test
$(TRACE_TEST): tests/trace/trace_test.c $(TEST_REPORT)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) $< tests/lib/report.c -o $@

.PHONY: check-trace bench-trace
CHECK_STEPS += check-trace
BENCH_STEPS += bench-trace

check-trace: $(KERNEL) $(OSPREY) $(TRACE_TEST)
	$(Q)rm -rf $(B)/trace-check && mkdir -p $(B)/trace-check
	$(Q)$(TRACE_TEST) $(OSPREY) $(KERNEL) $(B)/trace-check

bench-trace: $(KERNEL) $(OSPREY)
	$(Q)$(OSPREY) run --kernel $(KERNEL) --timeout 300 -e '--bench=trace' > $(B)/bench-trace.log 2>&1 || \
		{ cat $(B)/bench-trace.log; exit 1; }
	$(Q)grep '^BENCH ' $(B)/bench-trace.log
