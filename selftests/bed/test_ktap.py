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
        # the expected failure did not pass: skipped, never passed
        self.assertEqual(r.counts(), {"passed": 2, "failed": 0, "skipped": 1, "xfail": 1})

    def test_not_ok_fails(self):
        lines = [l.replace("ok 1 global", "not ok 1 global") for l in GOOD]
        self.assertEqual(judge(lines).counts()["failed"], 1)

    def test_xpass_fails(self):
        lines = [l.replace("# XFAIL", "# XPASS") for l in GOOD]
        r = judge(lines)
        self.assertEqual(r.counts()["failed"], 1)
        self.assertIn("update the test", r.results[1][3])

    KUNIT = """\
[    1.1] KTAP version 1
[    1.1] 1..2
[    1.1]     KTAP version 1
[    1.1]     # Subtest: kexec_pe_coff
[    1.1]     1..2
[    1.1]     ok 1 kpe_coff_parses_and_finds
[    1.1]     ok 2 kpe_coff_every_truncation
[    1.1] # kexec_pe_coff: pass:2 fail:0 skip:0 total:2
[    1.1] ok 1 kexec_pe_coff
[    1.1]     KTAP version 1
[    1.1]     # Subtest: kexec_pe_cpio
[    1.1]     1..1
[    1.1]     ok 1 kpe_cpio_entry
[    1.1] ok 2 kexec_pe_cpio
""".splitlines()

    def test_kunit_cases_at_boot_are_results(self):
        r = judge(self.KUNIT + GOOD)
        self.assertEqual(r.problems, [])
        # three KUnit cases, and GOOD's two passes (its XFAIL did not pass)
        self.assertEqual(r.counts()["passed"], 3 + 2)
        self.assertIn("kunit: kexec_pe_coff: kpe_coff_every_truncation", [x[1] for x in r.results])

    def test_kunit_failures_fail(self):
        lines = [l.replace("    ok 1 kpe_cpio", "    not ok 1 kpe_cpio").replace("ok 2 kexec_pe_cpio", "not ok 2 kexec_pe_cpio")
                 for l in self.KUNIT]
        self.assertEqual(judge(lines + GOOD).counts()["failed"], 1)
        # a suite that fails without a failed case (its init) fails too
        lines = [l.replace("ok 2 kexec_pe_cpio", "not ok 2 kexec_pe_cpio") for l in self.KUNIT]
        self.assertEqual(judge(lines + GOOD).counts()["failed"], 1)
        # and a suite cut short
        self.assertGreater(judge(self.KUNIT[:-2] + GOOD).counts()["failed"], 0)

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
                    "[ 1.0] BUG: KASAN: slab-out-of-bounds in f+0x1",
                    "[ 1.0] WARNING: suspicious RCU usage",
                    "[ 1.0] WARNING: possible circular locking dependency detected",
                    "[ 1.0] BUG: sleeping function called from invalid context at mm/slub.c:1",
                    "[ 1.0] unreferenced object 0xffff888003a1b000 (size 64):"):
            self.assertGreater(judge(GOOD + [bad]).counts()["failed"], 0, bad)

    def kdump_run(self):
        i = GOOD.index("bed: kexec into stage 2: /boot/bzImage")
        return (GOOD[:i] + ["bed: expect a crash: sysrq c while a session waits",
                            "[   9.1] sysrq: Trigger a crash",
                            "[   9.1] Kernel panic - not syncing: sysrq triggered crash"]
                + GOOD[i + 1:])

    def test_announced_crash_passes_when_the_crash_kernel_starts(self):
        r = judge(self.kdump_run())
        self.assertEqual(r.problems, [])

    def test_announced_crash_without_crash_kernel_fails(self):
        lines = self.kdump_run()
        lines = lines[:lines.index("bed: stage 2: tests kexec_stage2")]
        r = judge(lines)
        self.assertIn("the crash kernel did not start after the expected crash", r.problems)

    def test_crash_not_announced_or_twice_fails(self):
        lines = [l for l in self.kdump_run() if not l.startswith("bed: expect a crash")]
        self.assertTrue(any("sysrq triggered crash" in p for p in judge(lines).problems))
        lines = self.kdump_run()
        lines.insert(-1, "[   20.1] Kernel panic - not syncing: sysrq triggered crash")
        self.assertTrue(any("sysrq triggered crash" in p for p in judge(lines).problems))

    def test_other_panic_after_announcement_fails(self):
        lines = [l.replace("sysrq triggered crash", "Attempted to kill init!")
                 for l in self.kdump_run()]
        r = judge(lines)
        self.assertTrue(any("Attempted to kill init" in p for p in r.problems))
        self.assertIn("the expected crash did not happen", r.problems)

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
        r = judge(["bed: stage 1: tests nosuch",
                   "bed: test nosuch: /tests/nosuch: No such file or directory",
                   "bed: done"])
        self.assertIn("test nosuch: /tests/nosuch: No such file or directory", r.problems)
        self.assertIn("nosuch was announced in stage 1 but never ran", r.problems)

    def test_failure_reason_is_not_a_directive(self):
        # kselftest prints a failure's reason after "#  " (two spaces)
        for line in ("not ok 1 a #  skip the rest", "not ok 1 a #  xfail", "not ok 1 a # SKIP x",
                     "not ok 1 a # XFAIL x"):
            r = ktap.judge(["KTAP version 1", "1..1", line], "host/t", host=True)
            self.assertEqual(r.counts()["failed"], 1, line)

    def test_directives(self):
        for line, status in (("ok 1 a # SKIP no image", "skip"), ("ok 1 a # XFAIL why", "xfail"),
                             ("not ok 1 a # TODO later", "xfail"), ("ok 1 a # TODO later", "xpass"),
                             ("ok 1 a # XPASS", "xpass"), ("ok 1 a", "pass"),
                             ("not ok 1 a #  reason", "fail")):
            r = ktap.judge(["KTAP version 1", "1..1", line], "host/t", host=True)
            self.assertEqual(r.results[0][0], status, line)

    def test_directives_are_case_insensitive(self):
        for line, status in (("ok 1 a # skip no image", "skip"), ("ok 1 a # Skip", "skip"),
                             ("not ok 1 a # todo later", "xfail"), ("ok 1 a # xfail why", "xfail"),
                             ("ok 1 a # xpass", "xpass")):
            r = ktap.judge(["KTAP version 1", "1..1", line], "host/t", host=True)
            self.assertEqual(r.results[0][0], status, line)
            self.assertEqual(r.counts()["passed"], 0, line)

    def test_expected_failures_are_not_passed(self):
        r = ktap.judge(["KTAP version 1", "1..3", "ok 1 a # XFAIL why", "not ok 2 b # TODO later",
                        "ok 3 c"], "host/t", host=True)
        self.assertEqual(r.counts(), {"passed": 1, "failed": 0, "skipped": 2, "xfail": 2})

    def test_plan_zero_with_skip_is_one_skip(self):
        r = ktap.judge(["KTAP version 1", "1..0 # SKIP no kexec_pe in this kernel"], "host/t", host=True)
        self.assertEqual(r.problems, [])
        self.assertEqual(r.counts(), {"passed": 0, "failed": 0, "skipped": 1, "xfail": 0})
        self.assertEqual(r.results[0][3], "no kexec_pe in this kernel")
        # without the directive, a run that printed nothing still fails
        r = ktap.judge(["KTAP version 1", "1..0"], "host/t", host=True)
        self.assertIn("no test results were printed", r.problems)

    def test_header_without_plan_fails(self):
        r = ktap.judge(["KTAP version 1", "ok 1 a"], "host/t", host=True)
        self.assertIn("t printed a KTAP header but no plan", r.problems)

    def test_duplicate_result_number_fails(self):
        r = ktap.judge(["KTAP version 1", "1..2", "ok 1 a", "ok 1 b"], "host/t", host=True)
        self.assertEqual(r.counts()["failed"], 1)

    def test_program_after_kexec_must_run_in_next_stage(self):
        lines = [l.replace("tests kexec_baseline,kexec_roundtrip",
                           "tests kexec_baseline,kexec_roundtrip,later") for l in GOOD]
        r = judge(lines)
        self.assertIn("later was announced in stage 1 but never ran", r.problems)
        lines = [l.replace("tests kexec_stage2", "tests kexec_stage2,later") for l in lines]
        r = judge(lines)
        self.assertIn("later was announced in stage 2 but never ran", r.problems)

    def test_program_that_never_exits_fails(self):
        lines = [l for l in GOOD if "kexec_baseline exited" not in l]
        self.assertIn("kexec_baseline never exited (stage 1)", judge(lines).problems)

    def test_done_without_results_fails(self):
        r = judge(["bed: stage 1: tests shell", "bed: done"])
        self.assertIn("no test results were printed", r.problems)

    def test_outside_problem_fails(self):
        r = judge(GOOD, problems=["qemu exited with 1"])
        self.assertEqual(r.counts()["failed"], 1)

    def test_failure_shows_what_the_test_printed(self):
        # a CI log has no guest log: a failure carries its test's diagnostics
        # and the kernel's lines since the previous result, and nothing else
        lines = ["KTAP version 1", "1..2", "# before", "ok 1 a", "#  RUN b ...",
                 "[   23.9] kexec_pe: session 1: handshake timed out",
                 "# t.c:58:b:kexec-pe: x.efi: [ETIMEDOUT]", "not ok 2 b"]
        r = ktap.judge(lines, "host/t", host=True)
        self.assertEqual(r.why, {1: ["#  RUN b ...",
                                     "kexec_pe: session 1: handshake timed out",
                                     "# t.c:58:b:kexec-pe: x.efi: [ETIMEDOUT]"]})
        self.assertEqual(judge(GOOD).why, {})

    KSFT = """\
bed: stage 1: tests kselftest:kexec_pe
bed: run kselftest:kexec_pe
TAP version 13
1..1
# timeout set to 0
# selftests: kexec_pe: kexec_pe_test
# TAP version 13
# 1..3
# # Starting 3 tests from 1 test cases.
# #  RUN           global.a ...
# ok 1 global.a
# ok 2 global.b # SKIP no image
# ok 3 global.c
# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0
ok 1 selftests: kexec_pe: kexec_pe_test
bed: kselftest:kexec_pe exited with 0
bed: done (all test programs exited 0)
""".splitlines()

    def test_kselftest_runner_counts_the_inner_results(self):
        r = judge(self.KSFT)
        self.assertEqual(r.problems, [])
        self.assertEqual(r.counts(), {"passed": 2, "failed": 0, "skipped": 1, "xfail": 0})
        self.assertEqual(r.results[0][1], "kexec_pe_test: global.a")

    def test_kselftest_inner_failure_fails_once(self):
        lines = [l.replace("# ok 3 global.c", "# not ok 3 global.c")
                  .replace("ok 1 selftests", "not ok 1 selftests") for l in self.KSFT]
        r = judge(lines)
        self.assertEqual(r.counts()["failed"], 1)
        self.assertEqual(r.results[-1][1], "kexec_pe_test: global.c")

    def test_kselftest_runner_failure_without_inner_failure_fails(self):
        lines = [l.replace("ok 1 selftests: kexec_pe: kexec_pe_test",
                           "not ok 1 selftests: kexec_pe: kexec_pe_test # exit=139")
                 for l in self.KSFT]
        r = judge(lines)
        self.assertEqual(r.counts()["failed"], 1)
        self.assertIn("exit=139", r.results[-1][3])

    def test_kselftest_incomplete_inner_plan_fails(self):
        lines = [l for l in self.KSFT if l != "# ok 3 global.c"]
        r = judge(lines)
        self.assertIn("kexec_pe_test announced 3 results and printed 2", r.problems)

    def test_kselftest_program_without_ktap_is_its_runner_line(self):
        lines = [l for l in self.KSFT if not l.startswith("# ") or l.startswith("# selftests")]
        r = judge(lines)
        self.assertEqual(r.counts(), {"passed": 1, "failed": 0, "skipped": 0, "xfail": 0})

    def test_host_program_needs_no_guest(self):
        r = ktap.judge(["KTAP version 1", "1..1", "ok 1 a"], "host/t", host=True)
        self.assertEqual(r.problems, [])
        r = ktap.judge(["KTAP version 1", "1..2", "ok 1 a"], "host/t", host=True)
        self.assertEqual(r.counts()["failed"], 1)
        r = ktap.judge([], "host/t", host=True)
        self.assertEqual(r.counts()["failed"], 1)


if __name__ == "__main__":
    unittest.main()
