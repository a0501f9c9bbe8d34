#!/bin/sh
# A stand-in for qemu-system-x86_64 in the tests of `osprey` (tests/tools/check.sh).
#
# It reads what osprey passes (-append, the debugcon file in -chardev), prints
# canned console output and ends the way a guest would: the status line on the
# debug console, then the isa-debug-exit code (v << 1) | 1.  FAKE_QEMU_MODE
# picks the scenario for `osprey test`; for `osprey run` the command line says
# what to do.  Each -append value is logged to $FAKE_LOG when that is set.
set -f # globs are data here, never file names
append=
initrd=
dc=/dev/null
while [ $# -gt 0 ]; do
	case $1 in
	-append) append=$2; shift ;;
	-initrd) initrd=$2; shift ;;
	-chardev) dc=$(printf '%s' "${2#*path=}" | sed 's/,,/,/g'); shift ;;
	esac
	shift
done
[ -n "$FAKE_LOG" ] && printf '%s\n' "$append" >>"$FAKE_LOG"
mode=${FAKE_QEMU_MODE:-pass}

# Guest status $1: debugcon line, then QEMU's exit code.
status() {
	printf 'osprey:exit=%s\n' "$1" >"$dc"
	exit $(((($1 & 127) << 1) | 1))
}

# Like the kernel's glob: any of a comma-separated list of shell patterns.
matches() {
	old_ifs=$IFS
	IFS=,
	for g in $2; do
		# shellcheck disable=SC2254
		case $1 in $g) IFS=$old_ifs; return 0 ;; esac
	done
	IFS=$old_ifs
	return 1
}

# Kernel options before the test request (osprey test -e '...'): logged above, skipped here.
while :; do
	case $append in
	--test*) break ;;
	--*' '*) append=${append#* } ;;
	*) break ;;
	esac
done

case $append in
--test=list)
	[ "$mode" = listfail ] && { echo "panic: cannot list"; status 70; }
	echo "Osprey (fake)"
	printf 'test a.one\r\n'
	echo "test a.two"
	echo "death fault.page_fault"
	echo "death fault.gp"
	# osprey test puts stdin on /dev/null; anything read here is a leak.
	if IFS= read -r _line; then echo "test stdin.leaked"; fi
	status 0
	;;
--test-death=*)
	name=${append#--test-death=}
	case $name in
	fault.page_fault)
		echo "DEATH fault.page_fault expects \"page fault at\""
		echo "panic: page fault at 0x0 (write, not present)"
		;;
	fault.gp)
		echo "DEATH fault.gp expects \"general protection\""
		if [ "$mode" = deathlack ]; then
			echo "panic: something else entirely"
		else
			echo "panic: general protection fault"
		fi
		;;
	*) echo "no such death test"; status 1 ;;
	esac
	status 70
	;;
--test=*)
	glob=${append#--test=}
	passed=0
	failed=0
	for t in a.one a.two; do
		matches "$t" "$glob" || continue
		if [ "$t" = a.two ]; then
			case $mode in
			onefail)
				echo "FAIL a.two: tests/kernel/a.c:12: expected 1 == 2"
				failed=$((failed + 1))
				continue
				;;
			panic) echo "panic: boom in a.two"; status 70 ;;
			hang) exec sleep 30 ;;
			esac
		fi
		echo "PASS $t"
		passed=$((passed + 1))
	done
	echo "RESULT: $passed passed, $failed failed"
	[ $failed -eq 0 ] && status 0
	status 1
	;;
status=*)
	echo "fake console: guest exits ${append#status=}"
	status "${append#status=}"
	;;
qemu=*)
	echo "fake console: qemu exits ${append#qemu=}, no status line"
	exit "${append#qemu=}"
	;;
sleep)
	[ -n "$FAKE_PIDFILE" ] && echo $$ >"$FAKE_PIDFILE"
	exec sleep 30
	;;
cat=*)
	# A program that copies its stdin to end of file, then exits with the
	# given status: the guest says it is ready, then reads the serial line
	# up to the first Ctrl-D (osprey's end of file) and nothing after it.
	printf 'osprey:ready\n' >"$dc"
	awk 'BEGIN { RS = "\004" } { printf "%s", $0; exit }'
	status "${append#cat=}"
	;;
tty)
	if [ -t 0 ]; then what=a; else what="not a"; fi
	echo "fake console: stdin is $what terminal"
	status 0
	;;
*/bin/*)
	# osprey run PROGRAM: show what the guest was given.
	echo "fake console: initrd $initrd"
	status 0
	;;
*)
	echo "fake qemu: nothing to do for '$append'" >&2
	exit 1
	;;
esac
