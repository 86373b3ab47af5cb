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
	return 0
}

# The patches patches/series lists, one a line, in order.
series_patches() {
	grep -v '^[[:space:]]*\(#\|$\)' "$TOP/patches/series" || true
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
