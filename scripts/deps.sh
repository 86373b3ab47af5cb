#!/usr/bin/env bash
# Install the Debian packages the project needs, for one purpose or all.
# Idempotent: packages already present are not reinstalled, and apt is only
# asked when something is missing.
#
# Usage: scripts/deps.sh [userspace|all] [--check]
#   userspace  what `make userspace` needs: kexec-pe and its tests for this
#              machine (Debian's libbpf; no kernel tree, QEMU or cross
#              compilers)
#   all        (the default) everything: kernels, QEMU, the test bed
#   --check    list what is missing and exit 1
set -euo pipefail

purpose=all check=
for a in "$@"; do
	case "$a" in
	userspace|all) purpose=$a ;;
	--check) check=1 ;;
	*) echo "usage: scripts/deps.sh [userspace|all] [--check]" >&2; exit 2 ;;
	esac
done

# kexec-pe and its GoogleTest tests (scripts/build-userspace --host): the
# BPF object the tests open is built with clang; sbsign/sbverify, python3
# and the x86_64 systemd-stub are what the tests check their images with;
# git applies the series' uapi header from patches/
USERSPACE_PKGS=(
	cmake g++ pkg-config libbpf-dev libelf-dev zlib1g-dev libzstd-dev
	libgtest-dev googletest nlohmann-json3-dev clang git python3 sbsigntool systemd-boot-efi
)
PKGS=(
	"${USERSPACE_PKGS[@]}"
	# kernel source and kernel build
	linux-source-6.12 build-essential bc bison flex libssl-dev
	dwarves cpio xz-utils zstd lz4 lzop bzip2 gzip kmod openssl rsync ccache
	# cross toolchains and their C libraries
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-riscv64-linux-gnu g++-riscv64-linux-gnu libc6-dev-riscv64-cross
	# emulation
	qemu-system-x86 qemu-system-arm qemu-system-misc qemu-utils opensbi
	# BPF toolchain (clang: USERSPACE_PKGS)
	llvm lld bpftool
	# images and signatures
	binutils-aarch64-linux-gnu binutils-riscv64-linux-gnu
	# benchmark charts (scripts/bench-report)
	python3-matplotlib
	# libFuzzer and the sanitizers for the fuzz target (clang only recommends it)
	libclang-rt-14-dev
	# source packages for what riscv64 lacks
	dpkg-dev
)
# arm64 libraries through multiarch (static libbpf/libelf/libz for the guest loader)
ARM64_PKGS=(libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 libbpf-dev:arm64 systemd-boot-efi:arm64)
if [ "$purpose" = userspace ]; then
	PKGS=("${USERSPACE_PKGS[@]}")
	ARM64_PKGS=()
fi

if ! grep -qsx 'ID=debian' /etc/os-release; then
	echo "deps: this project installs Debian 12 (bookworm) packages; /etc/os-release says: $(grep -s '^PRETTY_NAME=' /etc/os-release)" >&2
	exit 1
fi
native=$(dpkg --print-architecture)

missing=()
for p in "${PKGS[@]}" "${ARM64_PKGS[@]}"; do
	# qualify by architecture: an arm64 copy must not stand in for the host's
	case "$p" in *:*) q=$p ;; *) q=$p:$native ;; esac
	if ! dpkg-query -W -f='${db:Status-Status}\n' "$q" 2>/dev/null | grep -qx installed &&
	   ! dpkg-query -W -f='${db:Status-Status}\n' "$p:all" 2>/dev/null | grep -qx installed; then
		missing+=("$p")
	fi
done

# Source packages (scripts/riscv64-sysroot) need deb-src entries for the same
# suites as the binary ones; kexec-pe alone needs none.
have_src() {
	[ "$purpose" = userspace ] ||
		grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/
}

if [ -n "$check" ]; then
	if [ ${#missing[@]} -gt 0 ] || ! have_src; then
		[ ${#missing[@]} -eq 0 ] || echo "deps: missing: ${missing[*]}" >&2
		have_src || echo "deps: no deb-src entries in /etc/apt (needed by scripts/riscv64-sysroot)" >&2
		exit 1
	fi
	echo "deps: all installed"
	exit 0
fi

if [ ${#missing[@]} -eq 0 ] && have_src; then
	echo "deps: all ${#PKGS[@]} + ${#ARM64_PKGS[@]} packages installed ($purpose)"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ ${#ARM64_PKGS[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
fi
# deb-src entries for the same suites as the binary ones (riscv64 libraries are
# built from source: scripts/riscv64-sysroot)
if ! have_src; then
	for f in /etc/apt/sources.list.d/debian.sources; do
		[ -f "$f" ] || continue
		sed -e 's/^Types: deb$/Types: deb-src/' "$f" | $SUDO tee /etc/apt/sources.list.d/kexec-pe-deb-src.sources >/dev/null
	done
	if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/kexec-pe-deb-src.list >/dev/null
	fi
fi
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "deps: done"
