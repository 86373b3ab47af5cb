# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash

export LC_ALL=C
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=$BUILD/linux
KTARBALL=${KTARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() {
	echo "$(basename "$0"): error: $*" >&2
	exit 1
}

info() {
	echo "$(basename "$0"): $*"
}

# Map ARCH (x86_64|arm64|riscv64) to kernel ARCH, cross prefix and image.
arch_setup() {
	case "$1" in
	x86_64)
		KARCH=x86; CROSS=; KIMAGE=arch/x86/boot/bzImage ;;
	arm64)
		KARCH=arm64; CROSS=aarch64-linux-gnu-; KIMAGE=arch/arm64/boot/Image ;;
	riscv64)
		KARCH=riscv; CROSS=riscv64-linux-gnu-; KIMAGE=arch/riscv/boot/Image ;;
	*)
		die "unknown ARCH '$1' (use x86_64, arm64 or riscv64)" ;;
	esac
	KOUT=$BUILD/$1
	# DEBUG=1: the kernel with kernel/configs/debug.config, in its own tree
	[ "${DEBUG:-0}" = 1 ] && KOUT=$KOUT-debug
	# what does not depend on the kernel's configuration (libbpf, the
	# uapi headers, kexec-pe): one build per architecture, shared by its
	# debug and non-debug kernels' beds
	AOUT=$BUILD/$1
	return 0
}

# KMAKE: the kernel's make as every script here runs it, for source tree
# $1 and output $2 (after arch_setup). Through ccache in depend mode: a
# miss compiles once, without the separate preprocessor run that ccache
# otherwise makes to hash the file (measured: +40-80% on the kernel's
# small files, about 30% of a cold build); the kernel's -Wp,-MMD gives
# ccache the headers a hit must check; a file with .incbin bypasses the
# cache (scripts/kernel-cc says why). -fno-var-tracking: no DWARF
# locations of variables, the most expensive part of -g (-19% of the
# compiler's time on kernel/bpf/verifier.c at -O2), as
# CONFIG_DEBUG_INFO_REDUCED does; the types BTF is made of are kept
# (DEBUG_INFO_REDUCED itself drops some, which is why BTF excludes it).
kernel_make() {
	export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1 CCACHE_COMPRESS=1 CCACHE_DEPEND=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export KBUILD_BUILD_TIMESTAMP="2000-01-01" KBUILD_BUILD_USER=kexec-pe KBUILD_BUILD_HOST=bed
	KMAKE=(make -s -C "$1" O="$2" ARCH="$KARCH" CROSS_COMPILE="$CROSS"
		CC="$TOP/scripts/kernel-cc ${CROSS}gcc" HOSTCC="ccache gcc" KCFLAGS="-fno-var-tracking"
		-j"${JOBS:-$(nproc)}")
}

# patches/ holds several series, as they would be posted to different
# lists; each depends on the ones before it. patches/series names their
# directories in the order they apply; patches/<name>/series lists a
# series' patches in order, patches/<name>/0000-cover-letter.patch is its
# cover letter. In build/linux each series is a branch of its name, on the
# branch of the series before it (the first on tag "base"); the last one
# is checked out.

# The series, one a line, in the order they apply.
series_names() {
	grep -v '^[[:space:]]*\(#\|$\)' "$TOP/patches/series" || true
}

# The patches of series $1, or of every series in order without $1, one a
# line, as paths relative to patches/ (<series>/<patch>).
series_patches() {
	local s
	for s in ${1:-$(series_names)}; do
		[ -f "$TOP/patches/$s/series" ] || die "patches/series names '$s', which has no patches/$s/series"
		grep -v '^[[:space:]]*\(#\|$\)' "$TOP/patches/$s/series" | sed "s|^|$s/|" || true
	done
}

# The subject and blurb of a format-patch cover letter, without the
# generated shortlog and diffstat: the branch description it was made from.
cover_description() {
	python3 - "$1" <<'PY'
import email, email.policy, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
subject = re.sub(r"^\[[^]]*\]\s*", "", " ".join(str(msg["Subject"]).split()))
out = []
for line in msg.get_content().splitlines():
    if re.match(r"^\S.* \(\d+\):$", line):   # shortlog: "Author (N):"
        break
    out.append(line)
print(subject + "\n\n" + "\n".join(out).strip())
PY
}

# Unpack Debian's source package $1 (with Debian's patches) into the
# directory $2, once per source version; print the source directory.
deb_source() {
	local pkg=$1 dest=$2 ver dir
	ver=$(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | head -n1)
	[ -n "$ver" ] || die "no source package $pkg (scripts/deps.sh adds the deb-src entries; run it)"
	# without the epoch: make takes no ':' in a path
	dir=$dest/$pkg-${ver#*:}
	if [ ! -d "$dir" ]; then
		mkdir -p "$dest"
		rm -rf "$dest/tmp" && mkdir -p "$dest/tmp"
		(cd "$dest/tmp" && apt-get source -qq "$pkg=$ver" >/dev/null 2>&1) ||
			die "apt-get source $pkg=$ver failed"
		mv "$(find "$dest/tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)" "$dir"
		rm -rf "$dest/tmp"
	fi
	echo "$dir"
}
