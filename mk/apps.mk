# mk/apps.mk: real Linux programs in the guest, compared with the same
# binaries on the host (docs/apps.md).
#
#   make check-apps                      every case, in the guest
#   make check-apps APPS_RUNNER=host     the host stands in for the guest: shows that
#                                        the cases and expected outputs are right
#   make check-apps APPS_ONLY='apps.busybox.*'   the cases whose name matches
#   make check-apps APPS_VERBOSE=1       each passing case's expected output too
#   make apps                            only build the programs and the stage folder
#
# Each program of tests/apps is built twice, static: with musl (musl-gcc) and
# with glibc (gcc), into build/apps/musl and build/apps/glibc; hello also as
# a glibc static-pie.  busybox is Debian's busybox-static, which
# scripts/deps.sh unpacks into build/busybox.  The stage folder holds the
# data the busybox cases read (tests/apps/data, plus a tar and a gzip file
# made here).

APPS_PROGRAMS := hello exit fault files memory threads time signals pipes poll poll_block eintr
APPS_OUT := build/apps
APPS_BINS := $(APPS_PROGRAMS:%=$(APPS_OUT)/musl/%) $(APPS_PROGRAMS:%=$(APPS_OUT)/glibc/%) \
	$(APPS_OUT)/glibc/hello-pie
APPS_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror
APPS_STAGE := $(APPS_OUT)/stage
APPS_DATA := $(shell find tests/apps/data -type f 2>/dev/null)
BUSYBOX := build/busybox/bin/busybox
CHECK_APPS := $(HB)/check-apps

APPS_RUNNER ?= guest
APPS_TIMEOUT ?= 60
APPS_ONLY ?=
APPS_VERBOSE ?= 0

$(APPS_OUT)/musl/%: tests/apps/%.c tests/apps/apps.h
	@mkdir -p $(@D)
	$(Q)musl-gcc -static $(APPS_CFLAGS) -o $@ $<

$(APPS_OUT)/glibc/%: tests/apps/%.c tests/apps/apps.h
	@mkdir -p $(@D)
	$(Q)gcc -static -pthread $(APPS_CFLAGS) -o $@ $<

$(APPS_OUT)/glibc/hello-pie: tests/apps/hello.c tests/apps/apps.h
	@mkdir -p $(@D)
	$(Q)gcc -static-pie -fPIE $(APPS_CFLAGS) -o $@ $<

$(BUSYBOX):
	$(Q)scripts/deps.sh

# The tar file's bytes do not matter (the same file goes to both sides), but
# fixed names, owners and times keep it the same from one build to the next.
$(APPS_STAGE)/.stamp: $(APPS_DATA)
	$(Q)rm -rf $(APPS_STAGE) && mkdir -p $(APPS_STAGE)
	$(Q)cp -R tests/apps/data $(APPS_STAGE)/data
	$(Q)tar -C tests/apps/data --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-cf $(APPS_STAGE)/data/tree.tar tree
	$(Q)gzip -n -9 -c tests/apps/data/words.txt > $(APPS_STAGE)/data/words.txt.gz
	$(Q)touch $@

$(CHECK_APPS): tests/apps/check_apps.c $(TEST_REPORT)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< tests/lib/report.c -o $@

.PHONY: apps check-apps
apps: $(APPS_BINS) $(BUSYBOX) $(APPS_STAGE)/.stamp

CHECK_STEPS += check-apps
check-apps: $(KERNEL) $(OSPREY) $(CHECK_APPS) apps
	$(Q)rm -rf $(APPS_OUT)/work
	$(Q)$(CHECK_APPS) --runner $(APPS_RUNNER) --timeout $(APPS_TIMEOUT) --only '$(APPS_ONLY)' \
		--verbose '$(APPS_VERBOSE)' \
		--osprey $(OSPREY) --kernel $(KERNEL) --bin $(APPS_OUT) --busybox $(BUSYBOX) \
		--stage $(APPS_STAGE) --work $(APPS_OUT)/work \
		--apps tests/apps/apps.cases --busybox-cases tests/apps/busybox.cases
