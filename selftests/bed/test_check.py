"""make check's schedule (scripts/check) and the hang detector of
scripts/vm-run: never two kernels or two images (initramfs, kexec-pe's
host build) at a time, an initramfs beside the next kernel, a suite never
runs before
its architecture's kernel and initramfs, QEMU guests share the cores with
the builds as documented, a failed build stops only what needs it; and a
guest that stops printing is ended by its silence, long before its
timeout."""
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def load_check():
    loader = importlib.machinery.SourceFileLoader("check", os.path.join(TOP, "scripts", "check"))
    spec = importlib.util.spec_from_loader("check", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


check = load_check()


class Schedule(unittest.TestCase):
    """The real Scheduler on jobs that sleep: what ran when."""

    def setUp(self):
        self.lock = threading.Lock()
        self.running = []
        self.max_builds = 0
        self.max_per_lane = {}
        self.overlaps = set()
        self.vms_beside_build = 0
        self.max_vms = 0
        self.order = []

    def job(self, sched, name, lane, secs=0.3, ok=True, deps=(), after=(), weight=0):
        def fn(j):
            with self.lock:
                self.running.append(j)
                self.order.append(name)
                builds = sum(1 for r in self.running if r.lane in check.BUILD_LANES)
                for lane in check.BUILD_LANES:
                    n = sum(1 for r in self.running if r.lane == lane)
                    self.max_per_lane[lane] = max(self.max_per_lane.get(lane, 0), n)
                if builds > 1:
                    self.overlaps.add(tuple(sorted(r.name for r in self.running
                                                   if r.lane in check.BUILD_LANES)))
                vms = sum(1 for r in self.running if r.lane == "vm")
                self.max_builds = max(self.max_builds, builds)
                self.max_vms = max(self.max_vms, vms)
            time.sleep(secs)
            with self.lock:
                if any(r.lane in check.BUILD_LANES for r in self.running):
                    self.vms_beside_build = max(self.vms_beside_build,
                                                sum(1 for r in self.running if r.lane == "vm"))
                self.running.remove(j)
            return ok
        return sched.add(check.Job(name, lane, fn, deps=deps, after=after, weight=weight))

    def test_one_kernel_and_one_image_at_a_time_suites_after_their_initramfs(self):
        s = check.Scheduler(2)
        inits = []
        for a in ("a", "b", "c"):
            k = self.job(s, f"{a}/kernel", "kernel")
            inits.append(self.job(s, f"{a}/initramfs", "image", deps=[k]))
            for n in range(3):
                self.job(s, f"{a}/suite{n}", "vm", deps=[inits[-1]])
        self.job(s, "host/userspace", "image", after=inits)
        s.run()
        self.assertEqual(self.max_per_lane, {"kernel": 1, "image": 1})
        # the initramfs is made beside the next kernel, never beside its own
        self.assertIn(("a/initramfs", "b/kernel"), self.overlaps)
        self.assertFalse(any(f"{a}/kernel" in o and f"{a}/initramfs" in o
                             for a in "abc" for o in self.overlaps))
        for a in ("a", "b", "c"):
            first_suite = min(self.order.index(f"{a}/suite{n}") for n in range(3))
            self.assertLess(self.order.index(f"{a}/initramfs"), first_suite)
        # each lane in the order its jobs were added
        kernels = [o for o in self.order if o.endswith("/kernel")]
        self.assertEqual(kernels, ["a/kernel", "b/kernel", "c/kernel"])
        images = [o for o in self.order if s.jobs[[j.name for j in s.jobs].index(o)].lane == "image"]
        self.assertEqual(images, ["a/initramfs", "b/initramfs", "c/initramfs", "host/userspace"])
        self.assertTrue(all(j.ok for j in s.jobs))

    def test_after_waits_for_failed_jobs_too(self):
        # host/userspace reads every architecture's images: it runs after
        # each initramfs has ended, made or failed, and not before
        s = check.Scheduler(2)
        k = self.job(s, "a/kernel", "kernel", 0.1)
        i = self.job(s, "a/initramfs", "image", 0.4, ok=False, deps=[k])
        u = self.job(s, "host/userspace", "image", 0.1, after=[i])
        s.run()
        self.assertEqual(self.order, ["a/kernel", "a/initramfs", "host/userspace"])
        self.assertIs(u.ok, True)

    def test_one_guest_beside_a_build_one_per_core_after(self):
        s = check.Scheduler(2)
        k = self.job(s, "a/kernel", "kernel", 0.2)
        i = self.job(s, "a/initramfs", "image", 0.2, deps=[k])
        self.job(s, "b/kernel", "kernel", 1.5)	# runs while a's suites do
        for n in range(6):
            self.job(s, f"a/suite{n}", "vm", 0.4, deps=[i])
        s.run()
        self.assertEqual(self.vms_beside_build, 1)
        self.assertEqual(self.max_vms, 2)

    def test_failed_kernel_stops_only_its_architecture(self):
        s = check.Scheduler(2)
        k = self.job(s, "a/kernel", "kernel", ok=False)
        i = self.job(s, "a/initramfs", "image", deps=[k])
        sa = self.job(s, "a/suite", "vm", deps=[i])
        kb = self.job(s, "b/kernel", "kernel")
        ib = self.job(s, "b/initramfs", "image", deps=[kb])
        sb = self.job(s, "b/suite", "vm", deps=[ib])
        s.run()
        self.assertNotIn("a/initramfs", self.order)
        self.assertNotIn("a/suite", self.order)
        self.assertIs(i.ok, False)
        self.assertIs(sa.ok, False)
        self.assertIs(sb.ok, True)

    def test_longest_suite_first(self):
        s = check.Scheduler(1)
        k = self.job(s, "a/kernel", "kernel", 0.1)
        for n, w in enumerate((100, 1800, 300)):
            self.job(s, f"a/s{w}", "vm", 0.1, deps=[k], weight=w)
        s.run()
        self.assertEqual([o for o in self.order if o.startswith("a/s")], ["a/s1800", "a/s300", "a/s100"])

    def test_suites_weighed_by_the_last_run_else_by_their_order(self):
        """The last run's durations (phases.json) order an architecture's
        suites; without them, selftests/suites' order (longest first),
        not their timeouts: a short suite with a long timeout went first."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        old = check.LOGS
        check.LOGS = tmp
        self.addCleanup(setattr, check, "LOGS", old)
        with open(os.path.join(tmp, "phases.json"), "w") as f:
            json.dump([{"phase": "arm64/pe_images", "lane": "vm", "start": 1, "seconds": 400, "ok": True},
                       {"phase": "arm64/pe_demo", "lane": "vm", "start": 2, "seconds": 900, "ok": False}], f)
        durations = check.last_durations()
        self.assertEqual({"arm64/pe_images": 400.0}, durations)	# a failed run's time says nothing

        def weights(d):
            s = check.Scheduler(2)
            check.arch_jobs(s, "arm64", "arm64", False, d)
            return [j.name for j in sorted((j for j in s.jobs if j.lane == "vm"), key=lambda j: -j.weight)]
        fresh = weights({})
        names = [n for n, *_ in check.suites_for("arm64")]
        self.assertEqual(["arm64/" + n for n in names], fresh)
        self.assertEqual(["arm64/kexec_pe", "arm64/pe_soak", "arm64/pe_fuzz"], fresh[:3])
        self.assertEqual("arm64/pe_images", weights(durations)[0])

    def test_an_exception_fails_the_job_not_the_run(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        old = check.RES
        check.RES = tmp
        self.addCleanup(setattr, check, "RES", old)
        s = check.Scheduler(1)

        def boom(j):
            raise RuntimeError("bug")
        bad = s.add(check.Job("x/bad", "vm", boom))
        after = self.job(s, "x/after", "vm", 0.1, deps=[bad])
        s.run()
        self.assertIs(bad.ok, False)
        self.assertNotIn("x/after", self.order)
        with open(os.path.join(tmp, "x_bad.json")) as f:
            self.assertEqual(json.load(f)["failed"], 1)
        self.assertIs(after.ok, False)


@unittest.skipUnless(shutil.which("qemu-system-riscv64")
                     and os.path.exists("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"),
                     "no qemu-system-riscv64 or opensbi (scripts/deps.sh installs them)")
class Silence(unittest.TestCase):
    """A real hung guest: OpenSBI prints its banner, then jumps to a kernel
    that is one instruction, a jump to itself."""

    def vm_run(self, *opts):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        kernel = os.path.join(tmp, "loop.bin")
        with open(kernel, "wb") as f:
            f.write(bytes([0x6f, 0, 0, 0]))	# riscv "j ." (jal x0, 0)
        initrd = os.path.join(tmp, "initrd")
        with open(initrd, "wb") as f:
            f.write(b"\0" * 512)
        env = dict(os.environ, BUILD=tmp, DEBUG="0")
        t0 = time.time()
        p = subprocess.run([os.path.join(TOP, "scripts", "vm-run"), *opts, "-k", kernel, "-i", initrd,
                            "-n", "hang", "riscv64", "none"], env=env, capture_output=True, text=True)
        secs = time.time() - t0
        with open(os.path.join(tmp, "logs", "riscv64", "hang.log")) as f:
            log = f.read()
        with open(os.path.join(tmp, "logs", "riscv64", "hang.json")) as f:
            res = json.load(f)
        return p.returncode, secs, log, res

    def test_silent_guest_ended_long_before_its_timeout(self):
        rc, secs, log, res = self.vm_run("-t", "120", "-s", "6")
        self.assertEqual(rc, 1)
        self.assertIn("OpenSBI", log)	# it did print, then fell silent
        self.assertIn("no console output for 6s", log)
        self.assertTrue(any("no console output for 6s" in p for p in res["problems"]), res)
        self.assertGreater(res["failed"], 0)
        self.assertLess(secs, 60)

    def test_without_a_silence_limit_the_timeout_ends_it(self):
        rc, secs, log, res = self.vm_run("-t", "8", "-s", "0")
        self.assertEqual(rc, 1)
        self.assertNotIn("no console output", log)
        self.assertGreater(res["failed"], 0)
        self.assertGreaterEqual(secs, 8)
