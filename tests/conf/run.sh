#!/bin/sh
# Host tests of tools/mkconfig and of the conf/ files it reads.
#
#   sh tests/conf/run.sh MKCONFIG WORKDIR     (from the top of the tree; make check-conf)
#
# Prints "PASS name" or "FAIL name: why" per test and one final line
# "RESULT: N passed, N failed"; exits non-zero when a test failed.
# MAKE, when set, also runs the make-level tests (conf_ variables, PROFILE).

MKCONFIG=$1
WORK=$2
if [ -z "$MKCONFIG" ] || [ -z "$WORK" ] || [ ! -x "$MKCONFIG" ]; then
	echo "usage: sh tests/conf/run.sh MKCONFIG WORKDIR" >&2
	echo "RESULT: 0 passed, 1 failed"
	exit 2
fi
case $WORK in
/*) ;;
*) WORK=$(pwd)/$WORK ;;
esac
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2

npass=0
nfail=0
pass() { echo "PASS $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

OUT=$WORK/out
ERR=$WORK/err
H=$WORK/config.h
MK=$WORK/config.mk

# run ARGS...: mkconfig on the real conf/ files; status in $rc, stderr in $ERR.
run()
{
	"$MKCONFIG" --options conf/options --conflicts conf/conflicts --profiles conf/profiles \
		"$@" >"$OUT" 2>"$ERR"
	rc=$?
}

# expect_ok NAME ARGS...: mkconfig must succeed and write $H.
expect_ok()
{
	name=$1
	shift
	rm -f "$H" "$MK"
	run --header "$H" --mk "$MK" "$@"
	if [ $rc -ne 0 ]; then
		fail "$name" "exit $rc: $(head -1 "$ERR")"
		return 1
	fi
	return 0
}

# expect_error NAME 'TEXT' ARGS...: mkconfig must fail with a one-line error
# per problem, each starting with "conf: ", the first holding TEXT.
expect_error()
{
	name=$1
	text=$2
	shift 2
	run "$@"
	if [ $rc -eq 0 ]; then
		fail "$name" "succeeded; expected an error with '$text'"
	elif ! grep -qF -- "$text" "$ERR"; then
		fail "$name" "error does not say '$text': $(head -1 "$ERR")"
	elif grep -qv '^conf: ' "$ERR"; then
		fail "$name" "stray stderr line: $(grep -v '^conf: ' "$ERR" | head -1)"
	else
		pass "$name"
	fi
}

# has_define NAME VALUE: $H defines CONFIG_NAME as VALUE.
has_define()
{
	grep -qx "#define CONFIG_$1 $2" "$H"
}

# The declared options as "NAME DEFAULT" lines, read independently of mkconfig.
options_list()
{
	awk '!/^[ \t]*(#|$)/ { print $1, $3 }' conf/options
}

# --- defaults -------------------------------------------------------------
if expect_ok defaults.header; then
	bad=
	n=0
	while read -r name def; do
		n=$((n + 1))
		case $def in -*) def="($def)" ;; esac
		has_define "$name" "$def" || bad="$bad $name"
	done <<EOF
$(options_list)
EOF
	ndef=$(grep -c '^#define CONFIG_' "$H")
	if [ -n "$bad" ]; then
		fail defaults.header "wrong or missing:$bad"
	elif [ "$ndef" -ne "$n" ]; then
		fail defaults.header "$ndef CONFIG_ defines for $n options"
	else
		pass defaults.header
	fi
fi

# The header compiles, and the values are usable in C expressions.
CC_TEST=${HOSTCC:-${CC:-cc}}
cat >"$WORK/use.c" <<EOF
#include "config.h"
#include "config.h"
_Static_assert(CONFIG_DEBUG == 0 || CONFIG_DEBUG == 1, "bool");
_Static_assert(CONFIG_MAX_CPUS >= 1, "range");
int f(void);
int f(void)
{
	if (CONFIG_DEBUG)
		return CONFIG_TRACE_BUF_KB;
	return CONFIG_MAX_CPUS;
}
EOF
if expect_ok defaults.compiles; then
	if $CC_TEST -std=c11 -Wall -Wextra -Werror -c -o "$WORK/use.o" "$WORK/use.c" 2>"$ERR"; then
		pass defaults.compiles
	else
		fail defaults.compiles "$(head -1 "$ERR")"
	fi
fi

if expect_ok defaults.mk && grep -qx 'CONFIG_MAX_CPUS := 64' "$MK" &&
	grep -qx 'CONFIG_PROFILE := ' "$MK"; then
	pass defaults.mk
elif [ $rc -eq 0 ]; then
	fail defaults.mk "config.mk lacks CONFIG_MAX_CPUS := 64"
fi

# --- profiles -------------------------------------------------------------
for p in conf/profiles/*; do
	prof=${p##*/}
	# Every NAME=VALUE of the profile reaches the header, conflict free, and
	# (strict) restates no default.
	if expect_ok "profile.$prof" --strict --profile "$prof"; then
		bad=
		# shellcheck disable=SC2013 # one NAME=VALUE word per line
		for set in $(grep -v '^[[:space:]]*#' "$p" | sed 's/#.*//'); do
			has_define "${set%%=*}" "${set#*=}" || bad="$bad $set"
		done
		if [ -n "$bad" ]; then
			fail "profile.$prof" "not applied:$bad"
		elif ! grep -qx "CONFIG_PROFILE := $prof" "$MK"; then
			fail "profile.$prof" "config.mk does not name the profile"
		else
			pass "profile.$prof"
		fi
	fi
done

for prof in release debug minimal; do
	if [ -f "conf/profiles/$prof" ]; then
		pass "profile.$prof.shipped"
	else
		fail "profile.$prof.shipped" "conf/profiles/$prof is missing"
	fi
done

if expect_ok profile.debug.values --profile debug; then
	if has_define DEBUG 1 && has_define DEBUG_MEMORY 1 && has_define LOCKDEP 1; then
		pass profile.debug.values
	else
		fail profile.debug.values "DEBUG, DEBUG_MEMORY, LOCKDEP not all 1"
	fi
fi

# --- overrides ------------------------------------------------------------
if expect_ok override.int conf_MAX_CPUS=8; then
	if has_define MAX_CPUS 8 && has_define DEBUG 0; then
		pass override.int
	else
		fail override.int "conf_MAX_CPUS=8 not applied"
	fi
fi
if expect_ok override.beats_profile --profile minimal conf_PCI=1; then
	if has_define PCI 1 && has_define KERNEL_TESTS 0; then
		pass override.beats_profile
	else
		fail override.beats_profile "conf_PCI=1 over minimal not applied"
	fi
fi
if expect_ok override.bounds conf_TRACE_BUF_KB=16384 conf_MAX_CPUS=1; then
	if has_define TRACE_BUF_KB 16384 && has_define MAX_CPUS 1; then
		pass override.bounds
	else
		fail override.bounds "range ends not applied"
	fi
fi

# --- bad input names what is wrong ----------------------------------------
expect_error error.unknown_option "NOPE" conf_NOPE=1
expect_error error.unknown_option_hint "did you mean conf_DEBUG" conf_debug=1
expect_error error.bad_bool "bad value '2' for bool option DEBUG" conf_DEBUG=2
expect_error error.bool_word "bad value 'yes' for bool option PCI" conf_PCI=yes
expect_error error.int_high "MAX_CPUS=257 is out of range 1..256" conf_MAX_CPUS=257
expect_error error.int_low "TRACE_BUF_KB=-1 is out of range 0..16384" conf_TRACE_BUF_KB=-1
expect_error error.int_huge "MAX_CPUS=99999999999999999999 is out of range" \
	conf_MAX_CPUS=99999999999999999999
expect_error error.not_a_number "bad value '8k' for MAX_CPUS" conf_MAX_CPUS=8k
expect_error error.empty_value "bad value '' for MAX_CPUS" conf_MAX_CPUS=
expect_error error.unknown_profile "unknown profile 'nope'" --profile nope
expect_error error.profile_path "bad profile name '../conf'" --profile ../conf
run conf_NOPE=1 conf_DEBUG=7
if [ $rc -ne 0 ] && [ "$(grep -c '^conf: ' "$ERR")" -eq 2 ]; then
	pass error.reports_all
else
	fail error.reports_all "expected two errors for two bad overrides"
fi

# --- every conflict of the table is enforced --------------------------------
run --dump-conflicts
rows=$(grep -cv '^[[:space:]]*\(#\|$\)' conf/conflicts)
if [ $rc -ne 0 ]; then
	fail conflicts.table "--dump-conflicts: $(head -1 "$ERR")"
elif [ "$(wc -l <"$OUT")" -ne "$rows" ]; then
	fail conflicts.table "$rows rows in conf/conflicts, mkconfig read $(wc -l <"$OUT")"
else
	pass conflicts.table
fi
cp "$OUT" "$WORK/conflicts"
while read -r line a b; do
	expect_error "conflict.line$line.$a.$b" "conf: $a conflicts with $b: " \
		"conf_$a" "conf_$b"
	# The other way round on the command line names them in table order too.
	expect_error "conflict.line$line.reversed" "conf: $a conflicts with $b: " \
		"conf_$b" "conf_$a"
	# A conflict reached through every profile is enforced as well.
	for p in conf/profiles/*; do
		expect_error "conflict.line$line.${p##*/}" "conf: $a conflicts with $b: " \
			--profile "${p##*/}" "conf_$a" "conf_$b"
	done
done <"$WORK/conflicts"

expect_error conflict.names_origin "LOCKDEP from profile debug, DEBUG from command line" \
	--profile debug conf_DEBUG=0

# --- outputs are rewritten only when their contents change ----------------
expect_ok mtime.first conf_MAX_CPUS=4 && pass mtime.first
touch -t 200001010000 "$H" "$MK"
run --header "$H" --mk "$MK" conf_MAX_CPUS=4
if [ $rc -eq 0 ] && [ -z "$(find "$H" "$MK" -newermt 2000-01-02)" ]; then
	pass mtime.unchanged_kept
else
	fail mtime.unchanged_kept "rewritten although nothing changed"
fi
run --header "$H" --mk "$MK" conf_MAX_CPUS=4 conf_LOCKDEP=1
if [ $rc -ne 0 ] && [ -z "$(find "$H" -newermt 2000-01-02)" ] && has_define MAX_CPUS 4; then
	pass mtime.error_keeps_old
else
	fail mtime.error_keeps_old "a conflicting run touched the header"
fi
run --header "$H" --mk "$MK" conf_MAX_CPUS=5
if [ $rc -eq 0 ] && [ -n "$(find "$H" -newermt 2000-01-02)" ] && has_define MAX_CPUS 5; then
	pass mtime.changed_rewritten
else
	fail mtime.changed_rewritten "header not rewritten after conf_MAX_CPUS changed"
fi
if [ -z "$(find "$WORK" -name '*.tmp.*')" ]; then
	pass mtime.no_temp_left
else
	fail mtime.no_temp_left "temporary file left behind"
fi

# --- malformed conf files: FILE:LINE and what is wrong ----------------------
F=$WORK/fixture
mkdir -p "$F/profiles"
good_options='X bool 0 an x
Y int:0..9 5 a y'
printf '%s\n' "$good_options" >"$F/options"
: >"$F/conflicts"

# bad_options NAME 'TEXT' CONTENT: options file CONTENT fails with TEXT.
bad_options()
{
	printf '%s\n' "$3" >"$F/bad"
	expect_error "parse.options.$1" "$2" --options "$F/bad" --conflicts "$F/conflicts"
}
bad_options missing_help "$F/bad:2: expected NAME TYPE DEFAULT HELP" "X bool 0 x
Y bool 0"
bad_options bad_type "$F/bad:1: Y: bad type 'integer'" "Y integer 0 y"
bad_options bad_range "$F/bad:1: Y: bad type 'int:9..0'" "Y int:9..0 5 y"
bad_options bad_name "$F/bad:1: bad option name 'lower'" "lower bool 0 y"
bad_options bad_default "$F/bad:1: Y: default '10' is not in 0..9" "Y int:0..9 10 y"
bad_options bool_default "$F/bad:1: X: default '2' is not in 0..1" "X bool 2 x"
bad_options duplicate "$F/bad:3: X declared again (first at line 1)" "X bool 0 x

X bool 1 again"
bad_options comment_end "$F/bad:1: X: help must not contain '*/'" "X bool 0 ends */ here"
bad_options empty "declares no options" "# nothing"
long=$(awk 'BEGIN { for (i = 0; i < 500; i++) printf "x" }')
bad_options long_line "$F/bad:2: line longer than" "X bool 0 x
Y bool 0 $long"
printf 'X bool 0 x\r\n' >"$F/bad"
expect_error parse.options.crlf "$F/bad:1: carriage return" --options "$F/bad" \
	--conflicts "$F/conflicts"
printf 'X bool 0 x\001\n' >"$F/bad"
expect_error parse.options.control "$F/bad:1: control character 0x01" --options "$F/bad" \
	--conflicts "$F/conflicts"
printf 'X bool 0 x\000y\n' >"$F/bad"
expect_error parse.options.nul "$F/bad:1: control character 0x00" --options "$F/bad" \
	--conflicts "$F/conflicts"
expect_error parse.options.missing "$F/none: No such file" --options "$F/none" \
	--conflicts "$F/conflicts"

# bad_conflicts NAME 'TEXT' CONTENT
bad_conflicts()
{
	printf '%s\n' "$3" >"$F/bad"
	expect_error "parse.conflicts.$1" "$2" --options "$F/options" --conflicts "$F/bad"
}
bad_conflicts no_reason "$F/bad:1: expected NAME=VALUE NAME=VALUE REASON" "X=1 Y=2"
bad_conflicts unknown "$F/bad:2: unknown option 'Z'" "# c
X=1 Z=2 why"
bad_conflicts no_eq "$F/bad:1: expected NAME=VALUE or NAME=LO..HI, not 'X'" "X Y=2 why"
bad_conflicts out_of_range "$F/bad:1: X=2 is outside the option's range 0..1" "X=2 Y=0 why"
bad_conflicts range_out "$F/bad:1: Y=5..10 is outside the option's range 0..9" "X=1 Y=5..10 why"
bad_conflicts bad_value "$F/bad:1: Y: bad value 'a'" "X=1 Y=a why"
bad_conflicts same "$F/bad:1: a conflict names two different options" "X=1 X=0 why"

# bad_profile NAME 'TEXT' CONTENT
bad_profile()
{
	printf '%s\n' "$3" >"$F/profiles/p"
	expect_error "parse.profile.$1" "$2" --options "$F/options" --conflicts "$F/conflicts" \
		--profiles "$F/profiles" --profile p
}
bad_profile unknown "$F/profiles/p:1: unknown option 'Z'" "Z=1"
bad_profile no_eq "$F/profiles/p:2: expected NAME=VALUE, not 'X'" "
X"
bad_profile two "$F/profiles/p:1: one NAME=VALUE per line" "X=1 Y=2"
bad_profile twice "$F/profiles/p:2: X set twice" "X=1
X=1"
bad_profile bad_bool "$F/profiles/p:1: bad value '3' for bool option X" "X=3"
bad_profile range "$F/profiles/p:1: Y=10 is out of range 0..9" "Y=10"
printf 'X=0\n' >"$F/profiles/p"
expect_error parse.profile.strict "$F/profiles/p:1: X=0 is the default" \
	--options "$F/options" --conflicts "$F/conflicts" --profiles "$F/profiles" --profile p \
	--strict

# A range in the conflicts table: X=1 conflicts with Y in 2..4 only.
printf 'X=1 Y=2..4 because\n' >"$F/conflicts"
fx()
{
	run --options "$F/options" --conflicts "$F/conflicts" "$@"
}
ok=1
for y in 2 3 4; do
	fx conf_X=1 "conf_Y=$y"
	[ $rc -ne 0 ] && grep -qF "conf: X=1 conflicts with Y=$y: because" "$ERR" || ok=
done
for y in 1 5; do
	fx conf_X=1 "conf_Y=$y"
	[ $rc -eq 0 ] || ok=
done
fx conf_X=0 conf_Y=3
[ $rc -eq 0 ] || ok=
if [ -n "$ok" ]; then
	pass conflicts.range
else
	fail conflicts.range "X=1 with Y=2..4 not enforced exactly"
fi

# --- through make: conf_ variables, PROFILE, options ----------------------
if [ -n "$MAKE" ]; then
	MB=$WORK/make
	# mk ARGS...: make -s in the tree, output in $OUT (both streams), with
	# none of the variables given to the make that runs these tests.
	mk()
	{
		# shellcheck disable=SC2086 # $MAKE may carry arguments
		env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u PROFILE -u MODE \
			$MAKE -s --no-print-directory MODE=release PROFILE=release B="$MB" "$@" \
			>"$OUT" 2>&1
		rc=$?
	}
	mk options conf_MAX_CPUS=8
	if [ $rc -eq 0 ] && grep -q '^MAX_CPUS  *8  *64 .*command line' "$OUT"; then
		pass make.options_override
	else
		fail make.options_override "make options conf_MAX_CPUS=8: $(head -3 "$OUT")"
	fi
	mk options PROFILE=minimal
	if [ $rc -eq 0 ] && grep -q '^PCI  *0  *1 .*profile minimal' "$OUT"; then
		pass make.options_profile
	else
		fail make.options_profile "make options PROFILE=minimal: $(head -3 "$OUT")"
	fi
	mk options conf_NOPE=1
	if [ $rc -ne 0 ] && grep -q "^conf: conf_NOPE=1: unknown option 'NOPE'" "$OUT"; then
		pass make.unknown_option
	else
		fail make.unknown_option "make options conf_NOPE=1 did not stop naming NOPE"
	fi
	mk options PROFILE=nope
	if [ $rc -ne 0 ] && grep -q "^conf: unknown profile 'nope'" "$OUT"; then
		pass make.unknown_profile
	else
		fail make.unknown_profile "make options PROFILE=nope did not stop naming nope"
	fi
	mk "$MB/include/generated/config.h" conf_LOCKDEP=1 "conf_DEBUG=0"
	if [ $rc -ne 0 ] && grep -q '^conf: LOCKDEP=1 conflicts with DEBUG=0: ' "$OUT"; then
		pass make.conflict_stops
	else
		fail make.conflict_stops "a conflicting build did not stop naming both options"
	fi
	MH=$MB/include/generated/config.h
	mk "$MH" "conf_MAX_CPUS=3"
	if [ $rc -eq 0 ] && grep -qx '#define CONFIG_MAX_CPUS 3' "$MH" &&
		grep -qx 'CONFIG_MAX_CPUS := 3' "$MB/config.mk"; then
		pass make.header_override
	else
		fail make.header_override "make conf_MAX_CPUS=3 did not reach config.h: $(head -3 "$OUT")"
	fi
	touch -t 200001010000 "$MH"
	mk "$MH" "conf_MAX_CPUS=3"
	mk1=$rc
	kept=$(find "$MH" -newermt 2000-01-02)
	mk "$MH"
	if [ $mk1 -eq 0 ] && [ -z "$kept" ] && [ $rc -eq 0 ] &&
		grep -qx '#define CONFIG_MAX_CPUS 64' "$MH"; then
		pass make.header_reruns
	else
		fail make.header_reruns "config.h not kept when unchanged or not updated when changed"
	fi
fi

echo "RESULT: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
