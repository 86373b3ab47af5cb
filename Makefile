# kexec-pe-bpf: the map of the project. `make help` lists every entry point.
ARCH ?= x86_64
ARCHES ?= x86_64 arm64 riscv64
TEST ?= kexec_baseline,kexec_roundtrip

FUZZ_SECONDS ?= 60
BENCH_N ?= 15
BENCH_SIZES ?= 16 64 256
PREFIX ?= /usr/local

.PHONY: help deps kernel-tree kernel kernels initramfs vm-test check check-host \
	demo pq-import pq-export pq-status checkpatch bisect-check clean distclean \
	userspace fuzz install bench

help:
	@echo "kexec-pe-bpf: boot signed PE kernels (UKI, EFI zboot) with kexec_file_load"
	@echo
	@echo "  make demo                 the end-to-end demo in QEMU (ARCH=$(ARCH))"
	@echo "  make check                all tests: host tests, then per architecture the"
	@echo "                            kernel, the initramfs and the QEMU suites"
	@echo "                            (ARCHES='$(ARCHES)'; x86_64 on the debug kernel,"
	@echo "                            CHECK_DEBUG='x86_64' sets which); the builds run"
	@echo "                            niced beside the suites of the architectures"
	@echo "                            built (CHECK_JOBS guests at once when no build"
	@echo "                            runs; a guest silent VM_SILENCE=300 s is ended);"
	@echo "                            a table of the phases' times; last line"
	@echo "                            'N passed, N failed, N skipped'"
	@echo "  make check-host           host tests only (the bed's own, kexec-pe's ctest,"
	@echo "                            the fuzz targets over their seeds)"
	@echo "  make bench                kexec_file_load: native vs kexec-pe vs unpacking in"
	@echo "                            user space vs served by kexec-pe serve (warm), one"
	@echo "                            QEMU run (ARCH=$(ARCH), BENCH_N=$(BENCH_N)"
	@echo "                            repetitions, BENCH_SIZES='$(BENCH_SIZES)' MiB initrds);"
	@echo "                            results in bench/results/<arch>/bench.{json,md,png}"
	@echo
	@echo "  make userspace            kexec-pe and its tests for this machine,"
	@echo "                            build/userspace-host/: Debian's libbpf and the series'"
	@echo "                            uapi header from patches/, no kernel tree, QEMU or"
	@echo "                            cross compilers (scripts/deps.sh userspace); run the"
	@echo "                            tests with ctest --test-dir build/userspace-host"
	@echo "                            (the guests' static builds: scripts/build-userspace"
	@echo "                            ARCH, run by make initramfs)"
	@echo "  make fuzz                 the libFuzzer targets (kexec-pe's PE reader, and the"
	@echo "                            kernel's PE/COFF reader compiled unchanged) for"
	@echo "                            FUZZ_SECONDS=$(FUZZ_SECONDS) each, then the in-VM fuzz loop"
	@echo "                            on the x86_64 debug kernel as long (FUZZ_VM=0: not)"
	@echo "  make install              kexec-pe, kexec-pe.8 and kexec-pe.service under"
	@echo "                            PREFIX=$(PREFIX)"
	@echo "                            (and DESTDIR)"
	@echo
	@echo "  make deps                 install the Debian packages (scripts/deps.sh; for"
	@echo "                            kexec-pe alone: scripts/deps.sh userspace)"
	@echo "  make kernel-tree          build/linux: linux-source-6.12 + the series patches/series"
	@echo "                            names, in order (git am)"
	@echo "  make kernel ARCH=a        build the test kernel in build/<a>/ (DEBUG=1: debug.config)"
	@echo "  make kernels              all three"
	@echo "  make initramfs ARCH=a     the bed's guest initramfs, build/<a>/bed/initramfs.cpio"
	@echo "  make vm-test ARCH=a TEST=p1,p2"
	@echo "                            boot QEMU and run guest programs; log in build/logs/<a>/"
	@echo "                            (DEBUG=1 with kernel, initramfs, vm-test: the debug kernel)"
	@echo
	@echo "  make pq-import            the series as commits in build/linux (a branch each,"
	@echo "                            kexec-pe checked out)"
	@echo "  make pq-export            regenerate patches/<series>/ from those commits (cover"
	@echo "                            letters too)"
	@echo "  make pq-status            what differs between build/linux and patches/"
	@echo "  make checkpatch           scripts/checkpatch.pl --strict on patches/"
	@echo "  make bisect-check         build every prefix of every series (ARCH=$(ARCH)),"
	@echo "                            in a worktree of its own; logs in build/logs/;"
	@echo "                            BISECT=own: only those ending in an arch/ patch of ARCH or a series"
	@echo
	@echo "  make clean                remove kernels' outputs and logs (keeps build/linux, keys)"
	@echo "  make distclean            remove build/ entirely"
	@echo
	@echo "ARCH is one of x86_64 arm64 riscv64."

deps:
	scripts/deps.sh

kernel-tree: deps
	scripts/kernel-tree

kernel: deps
	scripts/build-kernel $(ARCH)

kernels: deps
	for a in $(ARCHES); do scripts/build-kernel $$a || exit 1; done

initramfs: kernel
	scripts/mk-initramfs $(ARCH)

vm-test: initramfs
	scripts/vm-run $(ARCH) $(TEST)

check:
	scripts/check $(ARCHES)

check-host:
	scripts/check --host-only

demo:
	scripts/demo $(ARCH)

bench: deps
	BENCH_COMMAND="make bench ARCH=$(ARCH) BENCH_N=$(BENCH_N) BENCH_SIZES='$(BENCH_SIZES)'" \
		scripts/bench -n $(BENCH_N) -s "$(BENCH_SIZES)" $(ARCH)

userspace:
	scripts/deps.sh userspace
	scripts/build-userspace --host

fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

install: userspace
	cmake --install build/userspace-host --prefix $(PREFIX)

pq-import: deps
	scripts/pq import

pq-export:
	scripts/pq export

pq-status:
	scripts/pq status

checkpatch:
	scripts/kernel-tree && scripts/pq checkpatch

bisect-check: deps
	scripts/kernel-tree && scripts/bisect-build $(if $(filter own,$(BISECT)),--own) $(ARCH)

clean:
	rm -rf build/x86_64 build/arm64 build/riscv64 build/*-debug build/logs build/results

distclean:
	rm -rf build
