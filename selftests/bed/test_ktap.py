"""The bed's judge (scripts/ktap.py) must fail every run a person would call
broken: a failed test, a panic, a hang, a silent second kernel, a test that
started passing while it was expected to fail."""
import unittest

import ktap

GOOD = """\
bed: stage 1: tests kexec_baseline,kexec_roundtrip
bed: run kexec_baseline
TAP version 13
1..2
ok 1 image.native.load
ok 2 image.uki.load # XFAIL refused by kexec_file_load: ENOEXEC
bed: kexec_baseline exited with 0
bed: run kexec_roundtrip
bed: kexec into stage 2: /boot/bzImage
[    0.000000] Linux version 6.12.117
bed: stage 2: tests kexec_stage2
bed: run kexec_stage2
TAP version 13
1..1
ok 1 global.cmdline_and_initrd_match
bed: kexec_stage2 exited with 0
bed: done (all test programs exited 0)
""".splitlines()


def judge(lines, **kw):
    return ktap.judge(lines, "x86_64/t", **kw)


class Judge(unittest.TestCase):
    def test_good_run_passes(self):
        r = judge(GOOD)
        self.assertEqual(r.problems, [])
        self.assertEqual(r.counts(), {"passed": 3, "failed": 0, "skipped": 0, "xfail": 1})

    def test_not_ok_fails(self):
        lines = [l.replace("ok 1 global", "not ok 1 global") for l in GOOD]
        self.assertEqual(judge(lines).counts()["failed"], 1)

    def test_xpass_fails(self):
        lines = [l.replace("# XFAIL", "# XPASS") for l in GOOD]
        r = judge(lines)
        self.assertEqual(r.counts()["failed"], 1)
        self.assertIn("update the test", r.results[1][3])

    def test_skip_is_counted(self):
        lines = [l.replace("# XFAIL refused", "# SKIP no image") for l in GOOD]
        self.assertEqual(judge(lines).counts()["skipped"], 1)

    def test_panic_fails_even_with_all_ok(self):
        lines = GOOD[:-1] + ["[    3.1] Kernel panic - not syncing: Attempted to kill init!"] + GOOD[-1:]
        r = judge(lines)
        self.assertTrue(any("Kernel panic" in p for p in r.problems))
        self.assertGreater(r.counts()["failed"], 0)

    def test_oops_and_warning_fail(self):
        for bad in ("[ 1.0] Unable to handle kernel paging request at 0000",
                    "[ 1.0] WARNING: CPU: 0 PID: 1 at kernel/kexec_file.c:10 f+0x1/0x2",
                    "[ 1.0] BUG: KASAN: slab-out-of-bounds in f+0x1"):
            self.assertGreater(judge(GOOD + [bad]).counts()["failed"], 0, bad)

    def test_silent_second_kernel_fails(self):
        lines = GOOD[:GOOD.index("bed: kexec into stage 2: /boot/bzImage") + 1]
        r = judge(lines)
        self.assertTrue(any("bed: done" in p for p in r.problems))

    def test_no_output_fails(self):
        r = judge([])
        self.assertGreaterEqual(r.counts()["failed"], 2)

    def test_timeout_fails(self):
        self.assertTrue(any("timed out" in p for p in judge(GOOD, timed_out=True).problems))

    def test_short_plan_fails(self):
        lines = [l for l in GOOD if not l.startswith("ok 2 image.uki")]
        r = judge(lines)
        self.assertTrue(any("announced 2 results and printed 1" in p for p in r.problems))

    def test_program_exit_code_fails(self):
        lines = [l.replace("kexec_stage2 exited with 0", "kexec_stage2 exited with 1") for l in GOOD]
        self.assertEqual(judge(lines).counts()["failed"], 1)

    def test_crashed_program_fails(self):
        lines = GOOD[:3] + ["bed: kexec_baseline killed by signal 11"] + GOOD[-1:]
        r = judge(lines)
        self.assertTrue(any("killed by signal 11" in p for p in r.problems))

    def test_missing_test_program_fails(self):
        r = judge(["bed: test nosuch: /tests/nosuch: No such file or directory",
                   "bed: done"])
        self.assertEqual(r.counts()["failed"], 1)

    def test_host_program_needs_no_guest(self):
        r = ktap.judge(["KTAP version 1", "1..1", "ok 1 a"], "host/t", host=True)
        self.assertEqual(r.problems, [])
        r = ktap.judge(["KTAP version 1", "1..2", "ok 1 a"], "host/t", host=True)
        self.assertEqual(r.counts()["failed"], 1)
        r = ktap.judge([], "host/t", host=True)
        self.assertEqual(r.counts()["failed"], 1)


if __name__ == "__main__":
    unittest.main()
