#!/bin/sh
# Checks the built vDSO before it is embedded (mk/vdso.mk):
#   check.sh READELF VDSO_SO
# It must fit in two pages, be one read+exec PT_LOAD segment from file
# offset 0 at address 0 (the file is the image the kernel maps), have no
# relocation (nothing processes any), carry the dynamic entries the C
# libraries read, and export every name with version LINUX_2.6.
# Prints what is wrong and exits 1.
set -u
readelf=$1
so=$2
fail=0

bad() {
	echo "vdso: $so: $*" >&2
	fail=1
}

size=$(wc -c < "$so")
[ "$size" -le 8192 ] || bad "$size bytes: the vDSO must fit in 2 pages (8192 bytes)"

relocs=$("$readelf" -rW "$so") || exit 1
echo "$relocs" | grep -q 'There are no relocations' ||
	bad "it has relocations, which nothing would process:
$relocs"

phdrs=$("$readelf" -lW "$so") || exit 1
loads=$(echo "$phdrs" | grep -c '^ *LOAD ')
[ "$loads" -eq 1 ] || bad "$loads PT_LOAD segments; there must be one"
echo "$phdrs" | grep -Eq '^ *LOAD +0x0+ 0x0+ 0x0+ 0x[0-9a-f]+ 0x[0-9a-f]+ R E ' ||
	bad "its PT_LOAD must be read+exec, at file offset 0 and address 0"

dyn=$("$readelf" -dW "$so") || exit 1
for tag in HASH GNU_HASH SYMTAB STRTAB VERSYM VERDEF SONAME; do
	echo "$dyn" | grep -q "($tag)" || bad "no DT_$tag in its dynamic section"
done
echo "$dyn" | grep -q 'TEXTREL' && bad "it has DT_TEXTREL"

syms=$("$readelf" -W --dyn-syms -V "$so") || exit 1
for name in clock_gettime gettimeofday time clock_getres getcpu; do
	for sym in "__vdso_$name" "$name"; do
		echo "$syms" | grep -Eq " FUNC +(GLOBAL|WEAK) +DEFAULT +[0-9]+ $sym@@LINUX_2\.6\$" ||
			bad "it does not export $sym with version LINUX_2.6"
	done
done
exit $fail
