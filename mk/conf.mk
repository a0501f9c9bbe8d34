# mk/conf.mk: build options (decision 12), and the formatting check.
#
# conf/options declares every option; conf/profiles/$(PROFILE) changes some;
# conf_NAME=VALUE on the make command line changes one for this build.
# tools/mkconfig resolves them, refuses what conf/conflicts forbids, and
# writes
#   $(CONFIG_H)   #define CONFIG_NAME value, for C (if (CONFIG_DEBUG) ...)
#   $(CONFIG_MK)  CONFIG_NAME := value, for makefiles
# each rewritten only when its contents change.  The rule runs on every make,
# so a new conf_ variable or profile always takes effect, yet objects that
# depend on $(CONFIG_H) are rebuilt only when an option really changed.
#
# For mk/kernel.mk: make objects depend on $(CONFIG_H) (or add it as an
# order-only prerequisite and rely on -MMD), compile with -I$(B)/include so
# that <generated/config.h> resolves, and if a makefile needs the values:
#   include $(CONFIG_MK)
# (make builds mkconfig and the file first, and stops on a conf error).
#
# Targets: options (list every option), check-conf, check-format, format.
# docs/build-options.md is the user's guide.

MKCONFIG := $(HB)/mkconfig
CONFIG_H := $(B)/include/generated/config.h
CONFIG_MK := $(B)/config.mk
TOOLS += $(MKCONFIG)
CHECK_STEPS += check-format check-conf

CONF_FILES := conf/options conf/conflicts $(wildcard conf/profiles/*)
MKCONFIG_SRCS := $(wildcard tools/mkconfig/*.c)
MKCONFIG_DEPS := $(MKCONFIG_SRCS) $(wildcard tools/mkconfig/*.h)

# The conf_ variables the user gave on the command line, as the shell words
# 'conf_NAME=VALUE'; sub-makes see them too (they travel in MAKEFLAGS).
mkconfig_quote = '$(subst ','\'',$(1))'
CONF_VARS := $(sort $(foreach v,$(filter conf_%,$(.VARIABLES)), \
	$(if $(filter command line,$(origin $(v))),$(v))))
CONF_ARGS := $(foreach v,$(CONF_VARS),$(call mkconfig_quote,$(v)=$($(v))))

MKCONFIG_RUN = $(MKCONFIG) --options conf/options --conflicts conf/conflicts \
	--profiles conf/profiles --profile $(call mkconfig_quote,$(PROFILE)) $(CONF_ARGS)

$(MKCONFIG): $(MKCONFIG_DEPS)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $(MKCONFIG_SRCS)

# mkconfig writes both files; CONFIG_MK's empty recipe makes make look at its
# time stamp again after CONFIG_H's rule ran (no grouped targets: make 4.2).
$(CONFIG_H): $(MKCONFIG) $(CONF_FILES) FORCE
	@mkdir -p $(@D) $(dir $(CONFIG_MK))
	$(Q)$(MKCONFIG_RUN) --header $@ --mk $(CONFIG_MK)

$(CONFIG_MK): $(CONFIG_H) ;

.PHONY: FORCE check-conf check-format format
FORCE:

options: $(MKCONFIG)
	$(Q)$(MKCONFIG_RUN) --list

# Host tests of mkconfig, against a copy built with ASan and UBSan.
MKCONFIG_SAN := $(HB)/tests/conf/mkconfig
check-conf: $(MKCONFIG_SAN)
	$(Q)MAKE='$(MAKE)' sh tests/conf/run.sh $(MKCONFIG_SAN) $(HB)/tests/conf/work

$(MKCONFIG_SAN): $(MKCONFIG_DEPS)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN_CFLAGS) -o $@ $(MKCONFIG_SRCS)

# The project's C files: tracked, or new and not ignored; never build/.
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(filter-out build/%,$(shell \
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -co --exclude-standard '*.c' '*.h'; \
	else \
		find . -path ./build -prune -o -name '*.[ch]' -type f -print | sed 's|^\./||'; \
	fi | sort -u))

check-format:
	$(Q)if ! command -v $(CLANG_FORMAT) >/dev/null 2>&1; then \
		echo "FAIL $(CLANG_FORMAT): not found (install it or set CLANG_FORMAT=)"; \
		echo "RESULT: 0 passed, 1 failed"; exit 1; \
	fi; \
	pass=0; fail=0; \
	for f in $(FORMAT_FILES); do \
		[ -f "$$f" ] || continue; \
		if $(CLANG_FORMAT) --style=file --dry-run --Werror "$$f" >/dev/null 2>&1; then \
			pass=$$((pass + 1)); \
		else \
			echo "FAIL $$f"; fail=$$((fail + 1)); \
		fi; \
	done; \
	[ $$fail -eq 0 ] || echo "(see one with: $(CLANG_FORMAT) --dry-run FILE; fix all with: make format)"; \
	echo "RESULT: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

format:
	$(Q)for f in $(FORMAT_FILES); do \
		[ -f "$$f" ] || continue; \
		$(CLANG_FORMAT) --style=file -i "$$f" || exit 1; \
	done
