#!/bin/sh
# Host tests of the `osprey` command (make check-tools).
#
#   OSPREY=build/host/osprey UNIT=build/host/tests/tools/unit \
#   STUB=build/host/tests/tools/pvh-stub.elf sh tests/tools/check.sh
#
# Runs the unit tests, then the command itself: dry runs, option errors,
# accelerator choice, exit-status mapping and the test runner against a fake
# QEMU (tests/tools/fake-qemu.sh), and real QEMU boots of a tiny PVH stub.
# Prints "PASS name" / "FAIL name: why" and one final "RESULT: N passed, N failed".

OSPREY=$(realpath "${OSPREY:?}")
UNIT=${UNIT:?}
STUB=$(realpath "${STUB:?}")
HERE=$(cd "$(dirname "$0")" && pwd)

npass=0
nfail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/osprey-check.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mkdir "$T/bin" "$T/empty"
cp "$HERE/fake-qemu.sh" "$T/bin/qemu-system-x86_64"
chmod +x "$T/bin/qemu-system-x86_64"
K=$T/k.elf
: >"$K"
FAKE_PATH=$T/bin:$PATH
unset OSPREY_KERNEL FAKE_QEMU_MODE FAKE_LOG

pass() {
	echo "PASS $1"
	npass=$((npass + 1))
}

fail() {
	echo "FAIL $1: $2"
	nfail=$((nfail + 1))
}

# run CMD...: stdout in $T/out, stderr in $T/err, exit status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

has() { grep -qF -- "$1" "$T/out"; }
lines() { wc -l <"$1" | tr -d ' '; }

# expect NAME RC [STDOUT-TEXT...]: the last run ended with RC and printed each text.
expect() {
	name=$1 want=$2
	shift 2
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, expected $want; stderr: $(head -c 300 "$T/err")"
		return
	fi
	for s in "$@"; do
		if ! has "$s"; then
			fail "$name" "stdout lacks '$s': $(head -c 600 "$T/out" | tr '\n' '|')"
			return
		fi
	done
	pass "$name"
}

# expect_err NAME RC TEXT [console]: exit RC, one stderr line holding TEXT, and nothing
# on stdout unless "console" (the guest's console is osprey run's stdout).
expect_err() {
	if [ "$rc" -ne "$2" ]; then
		fail "$1" "exit $rc, expected $2; stderr: $(head -c 300 "$T/err")"
	elif [ "$(lines "$T/err")" -ne 1 ] || ! grep -qF -- "$3" "$T/err"; then
		fail "$1" "wanted one stderr line with '$3', got: $(head -c 300 "$T/err")"
	elif [ -s "$T/out" ] && [ "$4" != console ]; then
		fail "$1" "unexpected stdout: $(head -c 200 "$T/out")"
	else
		pass "$1"
	fi
}

# --- unit tests (ASan + UBSan) ---
"$UNIT" >"$T/unit" 2>&1
urc=$?
grep -E '^(PASS|FAIL) ' "$T/unit"
npass=$((npass + $(grep -c '^PASS ' "$T/unit")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/unit")))
if [ $urc -ne 0 ] && ! grep -q '^FAIL ' "$T/unit"; then
	fail tools.unit "exited $urc: $(tail -5 "$T/unit" | tr '\n' '|')"
fi

# --- help ---
run "$OSPREY" --help
expect cli.help 0 "run " "test " OSPREY_KERNEL
run "$OSPREY" run --help
expect cli.run_help 0 "-m, --mem" "-c, --cpus" "--machine" "--accel" "--debug" "-e, --cmdline" \
	"--kernel" "--initrd" "--dry-run" "--timeout" "--verbose" "Exit status"
run "$OSPREY" test --help
expect cli.test_help 0 "GLOB" "-m, --mem" "-c, --cpus" "--machine" "--kernel" "--timeout" \
	"--verbose" "Exit status"
run "$OSPREY"
expect cli.no_command 2
run "$OSPREY" frob
expect_err cli.unknown_command 2 "unknown command 'frob'"

# --- dry runs ---
DEV="-device isa-debug-exit,iobase=0x501,iosize=0x02 -device isa-debugcon,iobase=0xe9,chardev=ospreyctl -chardev file,id=ospreyctl,path="
run "$OSPREY" run --kernel "$K" --dry-run
expect dry.microvm 0 "-M microvm,x-option-roms=off,rtc=on " "$DEV" "-kernel $K " \
	"-nodefaults -no-user-config -nographic -no-reboot" "-serial stdio" "-m 64M -smp 1"
if [ "$rc" -eq 0 ]; then
	if [ "$(lines "$T/out")" -ne 1 ]; then
		fail dry.one_line "$(lines "$T/out") lines"
	elif has "-bios" || has "-append" || has "-initrd" || has " -S"; then
		fail dry.microvm_extras "$(cat "$T/out")"
	else
		pass dry.microvm_extras
	fi
fi
BIOS=
[ -r /usr/share/qemu/qboot.rom ] && BIOS="-bios /usr/share/qemu/qboot.rom "
for m in q35 pc; do
	run "$OSPREY" run --kernel "$K" --dry-run --machine "$m"
	expect "dry.$m" 0 "-M $m $BIOS-accel" "$DEV"
done
run "$OSPREY" run --kernel "$K" --dry-run -m 1G -c 2 -e "--verbose app 'x'" --initrd "$K" --debug
expect dry.options 0 "-m 1G -smp 2" "-initrd $K" "-append '--verbose app '\\''x'\\'''" "-s -S"
run "$OSPREY" run --kernel "$K" --dry-run -m 128
expect dry.mem_plain 0 "-m 128M "
run "$OSPREY" run --kernel "$K" --dry-run -e ""
if has "-append"; then fail dry.empty_cmdline "empty -e gave -append"; else pass dry.empty_cmdline; fi
OSPREY_KERNEL=$K run "$OSPREY" run --dry-run
expect dry.kernel_env 0 "-kernel $K "
run "$OSPREY" run --kernel "$K" --dry-run --disk "$K" --disk "$K,ro"
expect dry.disk 0 "-global virtio-mmio.force-legacy=false" \
	"-drive file=$K,if=none,format=raw,id=disk0 -device virtio-blk-device,drive=disk0" \
	"-drive file=$K,if=none,format=raw,id=disk1,readonly=on -device virtio-blk-device,drive=disk1"
run "$OSPREY" run --kernel "$K" --dry-run --machine q35 --disk "$K"
expect_err dry.disk_needs_pci 2 "osprey: run: --disk on q35 needs PCI, not yet (virtio-mmio: --machine microvm)"
run "$OSPREY" test --kernel "$K" --disk "$T/nope.img"
expect_err dry.disk_missing 2 "osprey: disk $T/nope.img: No such file or directory"

# --- osprey run PROGRAM: an image around a host program ---
# Run from a folder of our own (modules/ linked in), so that the images the
# tool writes to build/run go away with $T.  The stub is a static x86-64 ELF,
# so no warning is due.
top=$(pwd)
mkdir "$T/w"
ln -s "$top/modules" "$T/w/modules"
cd "$T/w" || exit 1
P=$T/hello
cp "$STUB" "$P"
mkdir -p "$T/data/sub"
echo one >"$T/data/one.txt"
echo two >"$T/data/sub/two.txt"
ln -s one.txt "$T/data/link"
echo other >"$T/other.txt"
run "$OSPREY" run --kernel "$K" --dry-run --env HOME=/ -e --verbose --add "$T/data" \
	--add "$T/other.txt:/etc/other" "$P" "a b" "it's" ""
expect prog.dry_run 0 "-initrd build/run/hello-" \
	"-append '--env=HOME=/ --verbose /bin/hello '\''a b'\'' '\''it'\''\'\'''\''s'\'' '\'''\'''"
if [ -s "$T/err" ]; then fail prog.no_warning "$(cat "$T/err")"; else pass prog.no_warning; fi
img=$(sed -n 's/.* -initrd \([^ ]*\) .*/\1/p' "$T/out")
"$OSPREY" image --list "$img" >"$T/list" 2>&1
sz=$(wc -c <"$P" | tr -d ' ')
for want in "f 0755 $(printf '%8s' "$sz") /bin/hello" "f 0644        4 /data/one.txt" \
	"f 0644        4 /data/sub/two.txt" "l 0777        7 /data/link -> one.txt" \
	"f 0644        6 /etc/other" "d 1777        0 /tmp" "f 0644       34 /etc/hosts"; do
	if ! grep -qxF -- "$want" "$T/list"; then
		fail prog.image_contents "no line '$want' in: $(tr '\n' '|' <"$T/list")"
		want=
		break
	fi
done
[ -n "$want" ] && pass prog.image_contents
run "$OSPREY" image --list "$T/other.txt"
expect_err prog.list_not_image 1 "osprey: image: $T/other.txt: not an image: "

# The program boots with its arguments, as the kernel's parser reads them.
: >"$T/log"
FAKE_LOG=$T/log PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" --env 'X=a b' "$P" 'x"y' '\'
expect prog.boots 0 "fake console: initrd build/run/hello-"
printf '%s\n' "'--env=X=a b' /bin/hello 'x\"y' '\\'" >"$T/want"
if cmp -s "$T/log" "$T/want"; then pass prog.append; else
	fail prog.append "append: $(cat "$T/log")"; fi

# Errors: one line, exit 2, nothing run.
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/nope" "$P"
expect_err prog.add_missing 2 "osprey: --add $T/nope: No such file or directory"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/nope:/x" "$P"
expect_err prog.add_missing_path 2 "osprey: --add $T/nope:/x: $T/nope: No such file or directory"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/other.txt:etc/x" "$P"
expect_err prog.add_relative 2 \
	"osprey: --add $T/other.txt:etc/x: image path 'etc/x' is not absolute (the last ':' starts it)"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/other.txt:/x" --add "$T/data/one.txt:/x" "$P"
expect_err prog.add_conflict 2 \
	"osprey: path conflict at /x: --add $T/data/one.txt:/x puts a file there ($T/data/one.txt), --add $T/other.txt:/x put a different file ($T/other.txt)"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/other.txt:/x" --add "$T/other.txt:/x" "$P"
expect prog.add_same_twice 0 "-initrd build/run/hello-"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/other.txt:/etc/hosts" "$P"
expect_err prog.add_over_base 2 \
	"osprey: path conflict at /etc/hosts: --add $T/other.txt:/etc/hosts puts a file there ($T/other.txt), module 'base' put a different file (modules/base/hosts)"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/data:/tmp/data" "$P"
expect_err prog.add_under_tmp 2 \
	"osprey: --add $T/data:/tmp/data: /tmp is mounted over the image in the guest, which would hide what is put there"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/data" --add "$T/data" --initrd "$K" "$P"
expect_err prog.with_initrd 2 "osprey: a program to run and --initrd both give the root image"
run "$OSPREY" run --kernel "$K" --dry-run -e '--verbose /bin/sh' "$P"
expect_err prog.e_with_app 2 \
	"osprey: -e '--verbose /bin/sh': with a program to run, -e holds only kernel options ('/bin/sh' would be taken as the program)"
run "$OSPREY" run --kernel "$K" --dry-run -e '--bogus' "$P"
expect_err prog.e_bad_option 2 "osprey: the kernel would refuse the command line: unknown option --bogus"
run "$OSPREY" run --kernel "$K" --dry-run "$T/nope"
expect_err prog.missing 2 "osprey: program $T/nope: No such file or directory"
run "$OSPREY" run --kernel "$K" --dry-run "$T/data"
expect_err prog.directory 2 "osprey: program $T/data: not a regular file"
run "$OSPREY" run --kernel "$K" --dry-run --add "$T/data"
expect_err prog.add_alone 2 "osprey: run: --add needs a program to run"
# shellcheck disable=SC2046
run "$OSPREY" run --kernel "$K" --dry-run "$P" $(seq 1 64)
expect_err prog.too_many_words 2 "too many words on the command line (at most 64)"
run "$OSPREY" run --kernel "$K" --dry-run "$T/other.txt"
expect prog.not_elf 0 "-append /bin/other.txt "
grep -qxF "osprey: warning: $T/other.txt is not an x86-64 ELF executable; the kernel will refuse it" \
	"$T/err" && pass prog.not_elf_warning || fail prog.not_elf_warning "$(cat "$T/err")"
dyn=/bin/true
if [ -r "$dyn" ] && head -c 4 "$dyn" | grep -q ELF; then
	run "$OSPREY" run --kernel "$K" --dry-run "$dyn"
	if [ $rc -eq 0 ] && grep -qF "is dynamically linked (interpreter " "$T/err"; then
		pass prog.dynamic_warning
	else
		fail prog.dynamic_warning "exit $rc: $(cat "$T/err")"
	fi
fi
cd "$top" || exit 1

# --- accelerator ---
hwkvm=no
if { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && [ -r /dev/kvm ] &&
	[ -w /dev/kvm ]; then
	hwkvm=yes
fi
run "$OSPREY" run --kernel "$K" --dry-run
if [ $hwkvm = no ]; then
	expect accel.auto_is_tcg 0 "-accel tcg -cpu max"
	run "$OSPREY" run --kernel "$K" --accel kvm --dry-run
	expect_err accel.kvm_refused 2 "--accel kvm: "
	if [ -d /sys/module/kvm_pvm ] && ! grep -qF "kvm_pvm nested hypervisor" "$T/err"; then
		fail accel.kvm_pvm_named "$(cat "$T/err")"
	fi
else
	expect accel.auto_is_kvm 0 "-accel kvm -cpu host"
	echo "SKIP accel.kvm_refused: this host has hardware KVM"
fi
run "$OSPREY" run --kernel "$K" --accel tcg --dry-run
expect accel.tcg 0 "-accel tcg -cpu max"

# --- bad usage: one line naming the problem, exit 2 ---
bad() {
	name=$1 text=$2
	shift 2
	run "$OSPREY" "$@"
	expect_err "usage.$name" 2 "$text"
}
bad cpus_zero "-c '0'" run --kernel "$K" -c 0
bad cpus_word "-c 'two'" run --kernel "$K" -c two
bad mem_word "-m 'abc'" run --kernel "$K" -m abc
bad mem_unit "-m '64K'" run --kernel "$K" -m 64K
bad machine "--machine 'foo'" run --kernel "$K" --machine foo
bad accel "--accel 'xen'" run --kernel "$K" --accel xen
bad unknown_flag "unknown option '--frobnicate'" run --kernel "$K" --frobnicate
bad missing_value "--timeout needs a value" run --kernel "$K" --timeout
bad timeout_word "--timeout 'soon'" run --kernel "$K" --timeout soon
bad stray_arg "unexpected argument 'extra': no such file here" run --kernel "$K" extra
bad test_unknown "unknown option '--dry-run'" test --kernel "$K" --dry-run
bad test_cpus "-c '0'" test --kernel "$K" -c 0
bad kernel_missing "osprey: kernel $T/nope.elf: No such file or directory" \
	run --kernel "$T/nope.elf" --dry-run
bad kernel_dir "not a regular file" run --kernel "$T" --dry-run
bad initrd_missing "osprey: initrd $T/nope.img: No such file or directory" \
	run --kernel "$K" --initrd "$T/nope.img"
(cd "$T/empty" && run "$OSPREY" run --dry-run && [ $rc -eq 2 ] &&
	grep -qxF "osprey: kernel build/release/osprey.elf: No such file or directory" "$T/err")
if [ $? -eq 0 ]; then pass usage.default_kernel_missing; else
	fail usage.default_kernel_missing "$(cat "$T/err")"; fi

# --- QEMU missing ---
PATH= run "$OSPREY" run --kernel "$K"
expect_err qemu.missing 125 "osprey: qemu-system-x86_64 not found in PATH (run scripts/deps.sh)"
PATH= run "$OSPREY" test --kernel "$K"
expect_err qemu.missing_test 125 "not found in PATH"

# --- run: exit status from the guest (fake QEMU) ---
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e status=139
expect status.debugcon_139 139 "fake console: guest exits 139"
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e status=0
expect status.debugcon_0 0
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e qemu=5
expect status.exit_code_5 2
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e qemu=0
expect_err status.no_status 125 "without reporting a status" console
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e qemu=1
expect_err status.qemu_failed 125 "QEMU failed" console
start=$(date +%s)
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e sleep --timeout 1
expect_err status.timeout 124 "osprey: guest timed out after 1 s"
[ $(($(date +%s) - start)) -le 5 ] || fail status.timeout_prompt "took $(($(date +%s) - start)) s"

# SIGTERM to osprey reaches QEMU, and osprey reports it.
FAKE_PIDFILE=$T/qemu.pid PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" -e sleep >"$T/out" \
	2>"$T/err" </dev/null &
opid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/qemu.pid" ] && break; sleep 0.2; done
kill -TERM $opid
wait $opid
rc=$?
sleep 0.2
if [ $rc -eq 143 ] && [ -s "$T/qemu.pid" ] && ! kill -0 "$(cat "$T/qemu.pid")" 2>/dev/null; then
	pass status.sigterm_forwarded
else
	fail status.sigterm_forwarded "exit $rc: $(cat "$T/err")"
fi

# --- run: a stdin that is not a terminal is relayed, then ends (relay.c) ---
# The fake guest (-e cat=N) writes osprey:ready, copies its serial input up
# to the first Ctrl-D to the console, and exits N.
# relay NAME N: stdin from $T/in; stdout must equal $T/in byte for byte, status N.
relay() {
	PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" --timeout 10 -e "cat=$2" <"$T/in" >"$T/out" \
		2>"$T/err"
	rc=$?
	if [ $rc -ne "$2" ]; then
		fail "$1" "exit $rc, expected $2; stderr: $(head -c 300 "$T/err")"
	elif ! cmp -s "$T/in" "$T/out"; then
		fail "$1" "output differs: $(head -c 200 "$T/out" | od -c | head -5 | tr '\n' '|')"
	else
		pass "$1"
	fi
}
printf 'hello\nworld\n' >"$T/in"
relay stdin.file_then_eof 0
: >"$T/in"
relay stdin.empty_is_eof 3
printf 'cr\r\tbyte \377 last line without newline' >"$T/in"
relay stdin.bytes_unchanged 0
# More than a pipe holds: the relay reads only as fast as the guest takes.
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "line %06d of the input\n", i }' >"$T/in"
relay stdin.large_input 0
printf 'hello\n' | PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" --timeout 10 -e cat=0 >"$T/out" \
	2>"$T/err"
rc=$?
expect stdin.pipe 0 "hello"
PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" --timeout 10 -e cat=5 <&- >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 5 ] && [ ! -s "$T/out" ]; then pass stdin.closed_is_eof; else
	fail stdin.closed_is_eof "exit $rc: $(head -c 300 "$T/err")"; fi
# A guest that never reads: osprey still ends with it, and the timeout holds.
yes | PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" -e status=4 >"$T/out" 2>"$T/err"
rc=$?
expect stdin.unread_input 4 "guest exits 4"
mkfifo "$T/fifo"
sleep 8 >"$T/fifo" &
spid=$!
start=$(date +%s)
PATH=$FAKE_PATH "$OSPREY" run --kernel "$K" -e sleep --timeout 1 <"$T/fifo" >"$T/out" 2>"$T/err"
rc=$?
took=$(($(date +%s) - start))
kill $spid 2>/dev/null
wait $spid 2>/dev/null
if [ $rc -eq 124 ] && [ $took -le 5 ]; then pass stdin.timeout_while_relaying; else
	fail stdin.timeout_while_relaying "exit $rc after $took s: $(head -c 300 "$T/err")"; fi
# A terminal is QEMU's own, as before (script(1) makes one).
if command -v script >/dev/null 2>&1; then
	script -qec "PATH='$FAKE_PATH' '$OSPREY' run --kernel '$K' -e tty" /dev/null </dev/null \
		>"$T/out" 2>"$T/err"
	rc=$?
	expect stdin.terminal_goes_to_qemu 0 "fake console: stdin is a terminal"
else
	echo "SKIP stdin.terminal_goes_to_qemu: script(1) is not installed"
fi
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e tty
expect stdin.not_a_terminal_is_a_pipe 0 "fake console: stdin is not a terminal"
PATH=$FAKE_PATH run "$OSPREY" run --kernel "$K" -e tty --verbose
if grep -qF "osprey: stdin is not a terminal: the program gets it when it starts, then end of file" \
	"$T/err"; then
	pass stdin.verbose_says_so
else
	fail stdin.verbose_says_so "$(cat "$T/err")"
fi

# --- osprey test against the fake guest ---
# t NAME MODE RC ARGS...: run `osprey test` with FAKE_QEMU_MODE=MODE.
t() {
	name=$1 mode=$2 want=$3
	shift 3
	: >"$T/log"
	FAKE_QEMU_MODE=$mode FAKE_LOG=$T/log PATH=$FAKE_PATH run "$OSPREY" test --kernel "$K" "$@"
	trc=$rc
	rc=$trc
}
# exactly NAME FILE: stdout's PASS/FAIL/RESULT lines are exactly FILE's.
exactly() {
	grep -E '^(PASS|FAIL|RESULT)' "$T/out" >"$T/got"
	if [ "$trc" -ne "$want" ]; then
		fail "$1" "exit $trc, expected $want; stderr: $(head -c 300 "$T/err")"
	elif ! cmp -s "$T/got" "$2"; then
		fail "$1" "got: $(tr '\n' '|' <"$T/got")"
	else
		pass "$1"
	fi
}

# All pass; stdin is a pipe with data, which the guest must not see.
: >"$T/log"
echo "typed ahead" | FAKE_QEMU_MODE=pass FAKE_LOG=$T/log PATH=$FAKE_PATH \
	"$OSPREY" test --kernel "$K" >"$T/out" 2>"$T/err"
trc=$?
want=0
printf '%s\n' "PASS a.one" "PASS a.two" "PASS death:fault.page_fault" "PASS death:fault.gp" \
	"RESULT: 4 passed, 0 failed" >"$T/want"
exactly runner.all_pass "$T/want"
if grep -q '^  | ' "$T/out"; then fail runner.quiet_on_pass "console shown"; else
	pass runner.quiet_on_pass; fi
printf '%s\n' "--test=list" "--test=*" "--test-death=fault.page_fault" "--test-death=fault.gp" \
	>"$T/want"
if cmp -s "$T/log" "$T/want"; then pass runner.boots; else
	fail runner.boots "boots: $(tr '\n' '|' <"$T/log")"; fi

t runner.one_fail onefail 1
printf '%s\n' "PASS a.one" "FAIL a.two: tests/kernel/a.c:12: expected 1 == 2" \
	"PASS death:fault.page_fault" "PASS death:fault.gp" "RESULT: 3 passed, 1 failed" >"$T/want"
exactly runner.one_fail "$T/want"
if grep -qxF "  | RESULT: 1 passed, 1 failed" "$T/out" &&
	[ "$(grep -c '^RESULT:' "$T/out")" -eq 1 ]; then
	pass runner.console_prefixed
else
	fail runner.console_prefixed "$(tr '\n' '|' <"$T/out")"
fi

t runner.panic panic 1
printf '%s\n' "PASS a.one" "FAIL a.two: not reported: guest panicked (status 70)" \
	"PASS death:fault.page_fault" "PASS death:fault.gp" "RESULT: 3 passed, 1 failed" >"$T/want"
exactly runner.panic_mid_run "$T/want"

t runner.death_lacks deathlack 1
printf '%s\n' "PASS a.one" "PASS a.two" "PASS death:fault.page_fault" \
	"FAIL death:fault.gp: output lacks \"general protection\"" "RESULT: 3 passed, 1 failed" \
	>"$T/want"
exactly runner.death_lacks_text "$T/want"

t runner.timeout hang 1 --timeout 1
printf '%s\n' "PASS a.one" "FAIL a.two: not reported: guest timed out after 1 s" \
	"PASS death:fault.page_fault" "PASS death:fault.gp" "RESULT: 3 passed, 1 failed" >"$T/want"
exactly runner.timeout "$T/want"

t runner.glob pass 0 a.one
printf '%s\n' "PASS a.one" "RESULT: 1 passed, 0 failed" >"$T/want"
exactly runner.glob_normal "$T/want"
printf '%s\n' "--test=list" "--test=a.one" >"$T/want"
if cmp -s "$T/log" "$T/want"; then pass runner.glob_boots; else
	fail runner.glob_boots "boots: $(tr '\n' '|' <"$T/log")"; fi

t runner.kernel_options pass 0 -e '--apic=xapic --timer=oneshot' a.one
printf '%s\n' "--apic=xapic --timer=oneshot --test=list" "--apic=xapic --timer=oneshot --test=a.one" \
	>"$T/want"
if cmp -s "$T/log" "$T/want"; then pass runner.kernel_options_first; else
	fail runner.kernel_options_first "boots: $(tr '\n' '|' <"$T/log")"; fi

t runner.glob_death pass 0 'fault.*'
printf '%s\n' "PASS death:fault.page_fault" "PASS death:fault.gp" "RESULT: 2 passed, 0 failed" \
	>"$T/want"
exactly runner.glob_death_only "$T/want"

t runner.no_match pass 1 'nothing.*'
if [ $trc -eq 1 ] && grep -qF "no test matches 'nothing.*'" "$T/err"; then
	pass runner.no_match
else
	fail runner.no_match "exit $trc: $(cat "$T/err")"
fi

t runner.list_fails listfail 1
printf '%s\n' "FAIL test-list: guest panicked (status 70)" "RESULT: 0 passed, 1 failed" >"$T/want"
exactly runner.list_fails "$T/want"

t runner.verbose pass 0 --verbose a.one
if grep -qxF "  | PASS a.one" "$T/out" && grep -qF -- "--test=a.one" "$T/err"; then
	pass runner.verbose
else
	fail runner.verbose "$(tr '\n' '|' <"$T/out")"
fi

# --- real QEMU: the PVH stub boots on every machine ---
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	for m in microvm q35 pc; do
		run "$OSPREY" run --kernel "$STUB" --machine "$m" --timeout 30 -e exit=139
		expect "qemu.$m" 139 "stub: exit=139"
	done
	run "$OSPREY" run --kernel "$STUB" --timeout 30 -c 2 -m 32 -e exit=0
	expect qemu.status_0 0 "stub: exit=0"
	run "$OSPREY" run --kernel "$STUB" --timeout 30 -e crash
	if [ $rc -eq 125 ] && [ "$(lines "$T/err")" -eq 1 ] &&
		grep -qF "without reporting a status" "$T/err"; then
		pass qemu.triple_fault
	else
		fail qemu.triple_fault "exit $rc: $(cat "$T/err")"
	fi
	run "$OSPREY" run --kernel "$STUB" --timeout 30 --initrd "$K" -e "exit=7 x"
	expect qemu.initrd_append 7 "stub: exit=7 x"
else
	echo "SKIP qemu.*: qemu-system-x86_64 is not installed"
fi

echo "RESULT: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
