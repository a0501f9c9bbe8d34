# Osprey: top-level build.  Non-recursive; each part lives in mk/*.mk.
#
#   make            kernel and host tools (MODE=release)
#   make MODE=debug assertions, debug allocator, lock-order checker
#   make run        build and boot the default image
#   make check      every test; ends with one line "N passed, N failed"
#   make bench      benchmarks, each beside a baseline from the same run
#   make options    every build option with its value
#
# CC=clang builds everything with clang.

MODE ?= release
ifeq ($(filter $(MODE),release debug),)
$(error MODE must be release or debug, not '$(MODE)')
endif
PROFILE ?= $(MODE)

# Each profile, and clang builds, go to their own directories so that all
# can coexist: build/release, build/debug, build/minimal, build/release-clang.
ifneq ($(findstring clang,$(CC)),)
B := build/$(PROFILE)-clang
HB := build/host-clang
else
B := build/$(PROFILE)
HB := build/host
endif
Q := @

HOSTCC ?= $(CC)
LD ?= ld
OBJCOPY ?= objcopy
NM ?= nm

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run check bench options clean deps
.DEFAULT_GOAL := all

include mk/conf.mk
include mk/kernel.mk
include mk/tools.mk
include mk/tests.mk
include mk/bench.mk
# After bench.mk and tests.mk: it adds to CHECK_STEPS, BENCH_STEPS and UNIT_SRCS.
include mk/trace.mk
include mk/alloc.mk
include mk/fs.mk
include mk/sched.mk
include mk/blk.mk
include mk/linux.mk
include mk/syscall.mk
include mk/apps.mk
# After kernel.mk: it adds the embedded vDSO to KERNEL_OBJS.
include mk/vdso.mk

all: $(KERNEL) $(TOOLS)

deps:
	$(Q)scripts/deps.sh

run: deps all
	$(Q)$(OSPREY) run --kernel $(KERNEL) $(RUN_ARGS)

# Every check step prints "RESULT: N passed, N failed" lines into its log;
# the last line adds them all up.  A step that dies without a RESULT line
# counts as one failure.
CHECK_STEPS := $(sort $(CHECK_STEPS))
check: deps
	$(Q)rm -rf build/check && mkdir -p build/check
	$(Q)for s in $(CHECK_STEPS); do \
		echo "== $$s"; \
		if $(MAKE) --no-print-directory $$s > build/check/$$s.log 2>&1; then st=0; else st=$$?; fi; \
		grep -E '^(FAIL|SKIP|RESULT)' build/check/$$s.log; \
		if ! grep -q '^RESULT:' build/check/$$s.log; then \
			tail -20 build/check/$$s.log; \
			echo "RESULT: 0 passed, 1 failed ($$s produced no result)" >> build/check/$$s.log; \
			echo "RESULT: 0 passed, 1 failed ($$s produced no result)"; \
		elif [ $$st -ne 0 ] && ! grep -Eq '^RESULT: [0-9]+ passed, [1-9]' build/check/$$s.log; then \
			tail -20 build/check/$$s.log; \
			echo "RESULT: 0 passed, 1 failed ($$s exited $$st)" >> build/check/$$s.log; \
			echo "RESULT: 0 passed, 1 failed ($$s exited $$st)"; \
		fi; \
	done
	$(Q)cat build/check/*.log | awk '/^RESULT:/ { p += $$2; f += $$4 } \
		END { printf "%d passed, %d failed\n", p, f; exit f != 0 }'

clean:
	rm -rf build
