#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build, test and benchmark
# Osprey.  A fast no-op when everything is present.
#
#   scripts/deps.sh           build and test tools, and Debian's static busybox
#                             for make check-apps, unpacked into build/busybox/
#                             (no install: busybox-static conflicts with the
#                             busybox package)
#   scripts/deps.sh --bench   the same, plus Debian's Linux kernel image for
#                             the Linux guest baseline (bench/linux-guest),
#                             unpacked into build/linux-guest/ (no install)
#
# apt-get update runs only when something must be installed or downloaded;
# sudo is used only when not root.
set -euo pipefail

bench=0
case "${1:-}" in
	--bench) bench=1 ;;
	"") ;;
	*) echo "usage: $0 [--bench]" >&2; exit 64 ;;
esac

cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	SUDO=(sudo)
fi

# "command package" pairs: the package is needed when the command is missing.
tools=(
	gcc:gcc make:make clang:clang ld.lld:lld objcopy:binutils
	qemu-system-x86_64:qemu-system-x86 musl-gcc:musl-tools cpio:cpio
	xz:xz-utils clang-format:clang-format git:git
)
missing=()
for t in "${tools[@]}"; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
done
# Packages with no command of their own: ask dpkg.
pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
pkg_installed libclang-rt-14-dev || missing+=(libclang-rt-14-dev)
if [ ! -e /usr/share/qemu/qboot.rom ]; then
	missing+=(qemu-system-data)
fi

updated=0
apt_update() {
	if [ "$updated" -eq 0 ]; then
		"${SUDO[@]}" apt-get update -qq
		updated=1
	fi
}

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt_update
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- busybox-static (make check-apps, docs/apps.md) -------------------------
# A static program nobody here wrote, run in the guest and on the host.  The
# package conflicts with Debian's dynamic busybox, so it is never installed:
# the .deb is downloaded and its one binary unpacked to build/busybox/bin/.
busybox=build/busybox/bin/busybox
if [ ! -x "$busybox" ]; then
	echo "deps: downloading busybox-static (for make check-apps)"
	mkdir -p build/busybox
	bbtmp=$(mktemp -d build/busybox/dl.XXXXXX)
	# apt-get download drops privileges to _apt when it can; let it write.
	chmod 0777 "$bbtmp"
	if ! (cd "$bbtmp" && apt-get download -qq busybox-static); then
		apt_update
		(cd "$bbtmp" && apt-get download -qq busybox-static)
	fi
	dpkg-deb -x "$bbtmp"/busybox-static_*.deb "$bbtmp/pkg"
	mkdir -p build/busybox/bin
	cp "$bbtmp/pkg/bin/busybox" "$busybox.tmp"
	chmod 0755 "$busybox.tmp"
	mv "$busybox.tmp" "$busybox"
	ls "$bbtmp"/busybox-static_*.deb | sed 's|.*/||' >build/busybox/VERSION
	rm -rf "$bbtmp"
fi

[ "$bench" -eq 1 ] || exit 0

# ---- Linux guest kernel (bench only) ---------------------------------------
# Debian's linux-image-amd64 is a meta package that depends on the versioned
# package holding /boot/vmlinuz-VERSION.  We never install it (that runs
# initramfs-tools); we download the versioned .deb and unpack it.  The
# result is build/linux-guest/vmlinuz, a copy of the bzImage; the make rules
# in mk/bench.mk turn it into vmlinux.
dir=build/linux-guest
out=$dir/vmlinuz
mods=$dir/modules
# Debian builds virtio, virtio_ring, virtio_mmio and virtio_blk as modules;
# bench-blk's initramfs loads them (bench/blk/linux.c), so they are kept in
# $mods, from /lib/modules when the same version is installed here, else
# from the package.  $dir/version names the kernel's version.
GUEST_MODULES="drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
	drivers/virtio/virtio_mmio.ko drivers/block/virtio_blk.ko"
keep_modules() { # $1: a lib/modules/VERSION directory
	mkdir -p "$mods"
	for m in $GUEST_MODULES; do
		cp "$1/kernel/$m" "$mods/" || return 1
	done
}
[ -s "$out" ] && [ -s "$mods/virtio_blk.ko" ] && exit 0
mkdir -p "$dir"

# Which versioned package does linux-image-amd64 depend on?
resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}
if [ -s "$out" ]; then
	# The kernel is here, the modules are not (a build from before
	# bench-blk): take the version it came from.
	ver=$(cat "$dir/version" 2>/dev/null || true)
	[ -n "$ver" ] || ver=$(ls -1 "$dir"/pkg/boot/vmlinuz-* 2>/dev/null |
		sed -n '1s,.*/vmlinuz-,,p' || true)
	if [ -z "$ver" ]; then
		for f in /boot/vmlinuz-*; do
			cmp -s "$f" "$out" && ver=${f#/boot/vmlinuz-} && break
		done
	fi
	if [ -z "$ver" ]; then
		echo "deps: cannot tell the version of $out; remove it to fetch it again" >&2
		exit 1
	fi
	if [ -d "/lib/modules/$ver/kernel" ] && [ -z "${LINUX_GUEST_DOWNLOAD:-}" ] &&
		keep_modules "/lib/modules/$ver"; then
		echo "deps: Linux guest modules from /lib/modules/$ver"
		exit 0
	fi
	pkg=linux-image-$ver
else
	pkg=$(resolve || true)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(resolve || true)
	fi
	ver=${pkg#linux-image-}
fi

# A kernel already on this machine, the same version first.
# LINUX_GUEST_DOWNLOAD=1 skips /boot and always fetches the package.
if [ -s "$out" ]; then
	src=
elif [ -n "$ver" ] && [ -s "/boot/vmlinuz-$ver" ] && [ -d "/lib/modules/$ver/kernel" ] &&
	[ -z "${LINUX_GUEST_DOWNLOAD:-}" ]; then
	src=/boot/vmlinuz-$ver
elif [ -n "$pkg" ]; then
	src=
else
	src=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$src" ]; then
		echo "deps: cannot resolve the package behind linux-image-amd64" >&2
		exit 1
	fi
fi

if [ -z "$src" ]; then
	echo "deps: downloading $pkg (Linux guest for benchmarks)"
	tmp=$(mktemp -d "$dir/dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download drops privileges to _apt when it can; let it write.
	chmod 0777 "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "$pkg"); then
		apt_update
		(cd "$tmp" && apt-get download -qq "$pkg")
	fi
	rm -rf "$dir/pkg"
	dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir/pkg"
	# Of the modules (~400 MB) an initramfs of one static program needs
	# only the virtio ones.
	keep_modules "$(ls -d "$dir"/pkg/lib/modules/* | head -1)"
	rm -rf "$dir/pkg/lib"
	if [ -s "$out" ]; then
		echo "deps: Linux guest modules from $pkg"
		exit 0
	fi
	src=$(ls -1 "$dir"/pkg/boot/vmlinuz-* | head -1)
	ver=${src##*/vmlinuz-}
else
	ver=${src##*/vmlinuz-}
	keep_modules "/lib/modules/$ver"
fi

cp "$src" "$out.tmp"
mv "$out.tmp" "$out"
echo "$ver" > "$dir/version"
echo "deps: Linux guest kernel $src"
