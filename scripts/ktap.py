#!/usr/bin/env python3
"""Judge one QEMU test-bed run (or one host test program) from its log.

A guest run passes only when:
- every program the guest's init announced ("bed: stage N: tests a,b") ran
  ("bed: run a") and exited 0 ("bed: a exited with 0"); a program that
  kexecs is the last one of its stage, and the programs after it must be
  announced by the next stage (the second kernel);
- every KTAP document is complete: a plan, and as many results as it
  announced, each number once;
- no result failed: "not ok" (except with a TODO directive), or "ok # XPASS"
  and "ok # TODO" (an expected failure started passing: update the test);
- the kernel printed no panic, oops, BUG, WARNING, KASAN/UBSAN, lockdep or
  kmemleak report; the one exception is the panic of sysrq c that a
  program announced just before ("bed: expect a crash: ..."), and only
  when the crash kernel then started the next stage;
- QEMU did not time out or fail, and init printed "bed: done" last;
- at least one result was printed.

The kselftest runner (run_kselftest.sh, a program "kselftest:COLLECTION")
prints one result per test program and each program's own KTAP nested
under "# ": those inner results are the results, labelled by the program
("selftests: DIR: NAME"); an inner document must be complete too, and the
runner's own line counts only when it failed without a failed inner
result (the program crashed, timed out, or printed no KTAP).

Counted as KTAP says: an expected failure (XFAIL, "not ok # TODO") did not
pass; it counts as skipped (and as an expected failure), never as passed.
Directives are case-insensitive; "1..0 # SKIP" is one skip.

Usage: ktap.py LOG --name ARCH/SUITE [--timed-out] [--problem TEXT]... [--host] [--json OUT]
Exit status: 0 when the run passed, 1 otherwise.
"""
import argparse
import json
import re
import sys

# TAP's directives are case-insensitive ("# skip" is a skip); kselftest
# prints a failure's reason after "#  " (two spaces), never a directive
RESULT = re.compile(r"^(not ok|ok) (\d+)(?: -)? ?(.*?)(?: # ((?i:SKIP|XFAIL|XPASS|TODO))\b ?(.*)| #  ?(.*))?$")
# a plan; "1..0 # SKIP why": the whole program skipped
PLAN = re.compile(r"^1\.\.(\d+)(?:\s+#\s*(?i:SKIP)\b\s*(.*))?")
HEADER = re.compile(r"^(?:TAP|KTAP) version \d+")
STAGE = re.compile(r"^bed: stage (\d+): tests (\S*)")
EXITED = re.compile(r"^bed: (\S+) (exited with (\d+)|killed by signal (\d+))")
# Kernel messages that fail a run whatever the tests said.
KERNEL_BAD = re.compile(
    r"Kernel panic - not syncing|\bOops\b|\bBUG: |------------\[ cut here \]|"
    r"\bWARNING: CPU|Unable to handle kernel|general protection fault|"
    r"kernel BUG at|Internal error:|stack-protector|KASAN|UBSAN|"
    r"possible recursive locking|circular locking dependency|"
    r"\]\s+WARNING: |inconsistent lock state|suspicious RCU usage|"
    r"INFO: possible .*locking|INFO: task .* blocked for more than|"
    r"unreferenced object|BUG kmalloc")
PRINTK_TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# A program that crashes the kernel on purpose (kdump tests) says so first;
# then the panic of sysrq c is expected once, and the next stage must start.
EXPECT_CRASH = "bed: expect a crash: "
SYSRQ_PANIC = "Kernel panic - not syncing: sysrq triggered crash"
# how many lines before a failed result are shown with it
WHY_LINES = 10
# KUnit at boot: a suite's cases, one level in, under "# Subtest: NAME"
SUBTEST = re.compile(r"^    # Subtest: (\S+)")
SUBRESULT = re.compile(r"^    (not ok|ok) (\d+)(?: -)? ?(.*?)(?: # ((?i:SKIP))\b ?(.*))?$")
# The kselftest runner: the test program it runs next, then that program's
# KTAP, each line behind "# "
KSFT_PROGRAM = re.compile(r"^# selftests: (\S+): (\S+)$")
KSELFTEST = "kselftest:"


class Run:
    def __init__(self, name):
        self.name = name
        self.results = []      # (status, label, directive, reason)
        self.problems = []     # why the run failed, beyond failed results
        self.why = {}          # index in results of a failure: the lines before it
        self.done = False

    def counts(self):
        """passed, failed, skipped, and among the skipped the expected
        failures (XFAIL, "not ok # TODO"): they did not pass"""
        c = {"passed": 0, "failed": 0, "skipped": 0, "xfail": 0}
        for status, _, _, _ in self.results:
            c[{"pass": "passed", "fail": "failed", "skip": "skipped",
               "xfail": "skipped", "xpass": "failed"}[status]] += 1
            if status == "xfail":
                c["xfail"] += 1
        c["failed"] += len(self.problems)
        return c


def classify(ok, directive):
    if directive == "SKIP" and ok:
        return "skip"
    if (directive == "XFAIL" and ok) or (directive == "TODO" and not ok):
        return "xfail"
    if ok and directive in ("XPASS", "TODO"):
        return "xpass"
    return "pass" if ok and not directive else "fail"


def judge(lines, name, timed_out=False, host=False, problems=()):
    run = Run(name)
    doc = None                 # {"plan", "seen", "numbers", "program"}
    program = name.split("/")[-1] if host else None
    stages = []                # [{"tests": [...], "ran": [...], "exited": set()}]

    def new_doc(program):
        return {"plan": None, "seen": 0, "numbers": set(), "program": program,
                "subtest": None, "cases": 0, "case_failed": False,
                "inner": None, "inner_failed": False}

    def check_complete(d):
        """The document @d ended: it had a plan, and met it"""
        who = d["program"] or "a test"
        if d["plan"] is None:
            run.problems.append(f"{who} printed a KTAP header but no plan")
        elif d["seen"] != d["plan"]:
            run.problems.append(f"{who} announced {d['plan']} results and printed {d['seen']}")

    def close_inner():
        if doc is not None and doc["inner"] is not None:
            check_complete(doc["inner"])
            doc["inner"] = None

    def close_doc():
        nonlocal doc
        close_inner()
        if doc is not None:
            check_complete(doc)
        doc = None

    def plan(d, m):
        """The plan @m of the document @d; "1..0 # SKIP why" is one skip"""
        d["plan"] = int(m.group(1))
        if d["plan"] == 0 and m.group(2) is not None:
            run.results.append(("skip", d["program"] or "a test", "SKIP", m.group(2).strip()))

    def count(d, m):
        """Count the result line @m in the document @d, each number once"""
        d["seen"] += 1
        num = int(m.group(2))
        if num in d["numbers"]:
            run.problems.append(f"{d['program']}: result number {num} printed twice")
        d["numbers"].add(num)

    def inner_line(line):
        """A line of the kselftest runner's "# " output: the next program,
        its KTAP, or what it printed"""
        m = KSFT_PROGRAM.match(line)
        if m:
            close_inner()
            doc["inner_program"] = m.group(2)
            return
        text = line[2:]
        if HEADER.match(text):
            close_inner()
            doc["inner"] = new_doc(doc.get("inner_program"))
            return
        inner = doc["inner"]
        if inner is None:
            return
        m = PLAN.match(text)
        if m and inner["plan"] is None:
            plan(inner, m)
            return
        m = RESULT.match(text)
        if m:
            record(inner, m)
            doc["inner_failed"] |= run.results[-1][0] in ("fail", "xpass")
            doc["inner_results"] = True

    def record(d, m):
        """A result line @m of the document @d"""
        nonlocal said
        count(d, m)
        ok = m.group(1) == "ok"
        directive = (m.group(4) or "").upper()
        reason = (m.group(5) if directive else m.group(6)) or ""
        label = m.group(3).strip()
        if d["program"] and not host:
            label = f"{d['program']}: {label}"
        status = classify(ok, directive)
        if status == "xpass":
            reason = "expected to fail but passed: update the test"
        if status in ("fail", "xpass"):
            run.why[len(run.results)] = said[:-1]	# the result line is last
        said = []
        run.results.append((status, label, directive, reason.strip()))

    crash = None               # None, "expected", "seen" (the panic came)
    # what a test printed since the previous result: its diagnostics
    # ("# ...") and the kernel's lines, kept for when it fails
    said = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if doc is not None and line.strip():
            said = (said + [PRINTK_TS.sub("", line).rstrip()])[-WHY_LINES:]
        if crash == "expected" and SYSRQ_PANIC in line:
            crash = "seen"
            continue
        if KERNEL_BAD.search(line):
            run.problems.append("kernel: " + PRINTK_TS.sub("", line).strip())
            continue
        from_kernel = bool(PRINTK_TS.match(line))
        line = PRINTK_TS.sub("", line)
        if not host:
            m = STAGE.match(line)
            if m:
                if crash == "seen":
                    crash = None
                close_doc()
                stages.append({"tests": [t for t in m.group(2).split(",") if t],
                               "ran": [], "exited": set()})
                continue
            if line.startswith("bed: run "):
                close_doc()
                program = line[len("bed: run "):].strip()
                if stages:
                    stages[-1]["ran"].append(program)
                continue
            if line.startswith("bed: done"):
                close_doc()
                run.done = True
                continue
            m = EXITED.match(line)
            if m:
                close_doc()
                if stages:
                    stages[-1]["exited"].add(m.group(1))
                if m.group(3) != "0":
                    run.problems.append(f"{m.group(1)} {m.group(2)}")
                continue
            if line.startswith(EXPECT_CRASH):
                crash = "expected"
                continue
            if line.startswith("bed: test "):
                run.problems.append(line[len("bed: "):])
                continue
        if HEADER.match(line):
            close_doc()
            # KTAP the kernel prints (with a printk time): KUnit's suites
            doc = new_doc("kunit" if from_kernel and not host else program)
            continue
        if doc is None:
            continue
        if (doc["program"] or "").startswith(KSELFTEST) and line.startswith("# "):
            inner_line(line)
            continue
        if doc["program"] == "kunit":
            m = SUBTEST.match(line)
            if m:
                doc["subtest"], doc["cases"], doc["case_failed"] = m.group(1), 0, False
                continue
            m = SUBRESULT.match(line)
            if m and doc["subtest"]:
                status = classify(m.group(1) == "ok", (m.group(4) or "").upper())
                doc["cases"] += 1
                doc["case_failed"] |= status == "fail"
                run.results.append((status, f"kunit: {doc['subtest']}: {m.group(3).strip()}",
                                    m.group(4) or "", (m.group(5) or "").strip()))
                continue
        m = PLAN.match(line)
        if m and doc["plan"] is None:
            plan(doc, m)
            continue
        m = RESULT.match(line)
        if m:
            ok = m.group(1) == "ok"
            # a KUnit suite's own line: its cases counted already, unless
            # it failed without a failed case (its init, say); the same
            # for the kselftest runner's line of a program
            if doc["program"] == "kunit" and doc["cases"] and (ok or doc["case_failed"]):
                count(doc, m)
                doc["subtest"] = None
                continue
            if (doc["program"] or "").startswith(KSELFTEST):
                close_inner()
                if doc.pop("inner_results", False) and (ok or doc["inner_failed"]):
                    count(doc, m)
                    doc["inner_failed"] = False
                    said = []
                    continue
                doc["inner_failed"] = False
            record(doc, m)
    close_doc()

    # Every announced program ran and exited; a kexec hands the rest on.
    for i, st in enumerate(stages):
        nxt = stages[i + 1] if i + 1 < len(stages) else None
        for p in st["ran"]:
            if p not in st["exited"] and not (nxt and p == st["ran"][-1]):
                run.problems.append(f"{p} never exited (stage {i + 1})")
        for p in st["tests"]:
            if p == "shell" or p in st["ran"]:
                continue
            if nxt is None or p not in nxt["tests"]:
                run.problems.append(f"{p} was announced in stage {i + 1} but never ran")

    if crash == "seen":
        run.problems.append("the crash kernel did not start after the expected crash")
    elif crash == "expected":
        run.problems.append("the expected crash did not happen")
    run.problems.extend(problems)
    if timed_out:
        run.problems.append("timed out (QEMU killed)")
    if not run.results:
        run.problems.append("no test results were printed")
    if not host and not run.done:
        run.problems.append("the guest never reached 'bed: done' "
                            "(hang, panic, or a second kernel that did not start)")
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--name", required=True)
    ap.add_argument("--timed-out", action="store_true")
    ap.add_argument("--problem", action="append", default=[],
                    help="a failure found outside the log (e.g. QEMU's exit code)")
    ap.add_argument("--host", action="store_true",
                    help="a host test program's output: no guest, no 'bed: done'")
    ap.add_argument("--json")
    a = ap.parse_args()
    with open(a.log, errors="replace") as f:
        run = judge(f, a.name, a.timed_out, a.host, a.problem)
    mark = {"pass": "ok  ", "fail": "FAIL", "skip": "skip", "xfail": "xfail", "xpass": "XPASS"}
    for i, (status, label, _, reason) in enumerate(run.results):
        extra = f"  ({reason})" if reason and status != "pass" else ""
        print(f"  {mark[status]:5} {a.name}: {label}{extra}")
        # a CI log shows why without the guest's log
        for w in run.why.get(i, []):
            print(f"        | {w[:300]}")
    for p in run.problems:
        print(f"  FAIL  {a.name}: {p}")
    c = run.counts()
    ok = c["failed"] == 0
    print(f"{a.name}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
          + (f" ({c['xfail']} expected failures)" if c["xfail"] else "")
          + ("" if ok else f"  [log: {a.log}]"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"name": a.name, "log": a.log, **c,
                       "problems": run.problems,
                       "results": [dict(zip(("status", "label", "directive", "reason"), r),
                                        **({"why": run.why[i]} if i in run.why else {}))
                                   for i, r in enumerate(run.results)]}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
