#!/usr/bin/env bash
# The boot benchmark (make bench-boot): Osprey's default image, a do-nothing
# PVH kernel and Debian's Linux, booted with the same QEMU command line in one
# bootbench run.  Glue only: mk/bench.mk passes everything in the environment.
#
#   BOOTBENCH OSPREY KERNEL NOTHING VMLINUX INITRD  files
#   BENCH_MEM BENCH_ACCEL BENCH_DIR LINUX_APPEND     settings
#   BOOT_RUNS BOOT_LINUX_RUNS BENCH_QEMU_FLAGS       counts, fallback flags
set -euo pipefail

osprey_args=(-m "$BENCH_MEM" --machine microvm --accel "$BENCH_ACCEL" --kernel "$KERNEL")
ctl=$BENCH_DIR/debugcon.out

# The baselines' QEMU command line is osprey run's own (--dry-run) with only
# the kernel swapped, so they get the same machine, memory, CPU and devices.
# The debug-console file osprey would make in /tmp becomes one of ours.
qemu=()
if line=$("$OSPREY" run --dry-run "${osprey_args[@]}" 2>/dev/null) && [[ $line == *" -kernel "* ]]; then
	read -ra words <<<"$line"
	skip=0
	for w in "${words[@]}"; do
		if [ "$skip" -eq 1 ]; then
			skip=0
			continue
		fi
		case $w in
		-kernel) skip=1 ;;
		*path=*) qemu+=("${w%%path=*}path=$ctl") ;;
		*) qemu+=("$w") ;;
		esac
	done
	echo "baseline QEMU flags (osprey run --dry-run, kernel swapped):"
else
	# shellcheck disable=SC2206 # the flags are words
	qemu=(qemu-system-x86_64 $BENCH_QEMU_FLAGS)
	echo "baseline QEMU flags (osprey run --dry-run failed; mk/bench.mk's copy):"
fi
echo "  ${qemu[*]}"

exec "$BOOTBENCH" -t boot \
	-s osprey -n "$BOOT_RUNS" -- "$OSPREY" run "${osprey_args[@]}" \; \
	-s nothing -n "$BOOT_RUNS" -x 1 -g Hi -- "${qemu[@]}" -kernel "$NOTHING" \; \
	-s linux -n "$BOOT_LINUX_RUNS" -r 2 -g hello -- "${qemu[@]}" -kernel "$VMLINUX" \
	-initrd "$INITRD" -append "$LINUX_APPEND" \; \
	-s osprey -W -n "$BOOT_RUNS" -u 'bootchart_us=bootchart: total ' -- \
	"$OSPREY" run "${osprey_args[@]}" -e --bootchart \;
