#!/usr/bin/env python3
"""Judge one QEMU test-bed run from its serial console log.

A run passes only when every KTAP document in the log is complete (as many
results as its plan announced), no result is "not ok" (XFAIL, SKIP and TODO
directives excepted; an XPASS is a failure: an expected failure started
passing, so the test must be updated), the kernel printed no panic, oops,
BUG or WARNING, QEMU did not time out, and the guest's init printed
"bed: done" (so a second kernel that never came up fails the run).

Usage: ktap.py LOG --name ARCH/TEST [--timed-out] [--host] [--json OUT]
Exit status: 0 when the run passed, 1 otherwise.
"""
import argparse
import json
import re
import sys

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")
HEADER = re.compile(r"^(?:TAP|KTAP) version \d+")
# Kernel messages that fail a run whatever the tests said.
KERNEL_BAD = re.compile(
    r"Kernel panic - not syncing|\bOops\b|\bBUG: |------------\[ cut here \]|"
    r"\bWARNING: CPU|Unable to handle kernel|general protection fault|"
    r"kernel BUG at|Internal error:|stack-protector|KASAN|UBSAN|"
    r"possible recursive locking|circular locking dependency|"
    r"unreferenced object|BUG kmalloc")
PRINTK_TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")


class Run:
    def __init__(self, name):
        self.name = name
        self.results = []      # (status, label, directive, reason)
        self.problems = []     # why the run failed, beyond "not ok" lines
        self.done = False

    def counts(self):
        c = {"passed": 0, "failed": 0, "skipped": 0, "xfail": 0}
        for status, _, _, _ in self.results:
            c[{"pass": "passed", "fail": "failed", "skip": "skipped",
               "xfail": "passed", "xpass": "failed"}[status]] += 1
            if status == "xfail":
                c["xfail"] += 1
        c["failed"] += len(self.problems)
        return c


def judge(lines, name, timed_out=False, host=False):
    run = Run(name)
    doc = None                 # [plan, seen, program]
    program = None

    def close_doc():
        nonlocal doc
        if doc and doc[0] is not None and doc[1] != doc[0]:
            run.problems.append(
                f"{doc[2] or 'a test'} announced {doc[0]} results and printed {doc[1]}")
        doc = None

    for raw in lines:
        line = raw.rstrip("\r\n")
        if KERNEL_BAD.search(line):
            run.problems.append("kernel: " + PRINTK_TS.sub("", line).strip())
            continue
        line = PRINTK_TS.sub("", line)
        if host and program is None:
            program = name.split("/")[-1]
        if line.startswith("bed: run "):
            close_doc()
            program = line[len("bed: run "):].strip()
            continue
        if line.startswith("bed: done"):
            close_doc()
            run.done = True
            continue
        m = re.match(r"^bed: (\S+) (exited with (\d+)|killed by signal (\d+))", line)
        if m:
            close_doc()
            if m.group(3) is None or m.group(3) != "0":
                run.problems.append(f"{m.group(1)} {m.group(2)}")
            continue
        if line.startswith("bed: test ") or line.startswith("bed: not starting"):
            run.problems.append(line[len("bed: "):])
            continue
        if HEADER.match(line):
            close_doc()
            doc = [None, 0, program]
            continue
        if doc is None:
            continue
        m = PLAN.match(line)
        if m and doc[0] is None:
            doc[0] = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            doc[1] += 1
            ok = m.group(1) == "ok"
            label = f"{program}: {m.group(3).strip()}" if program else m.group(3).strip()
            directive = (m.group(4) or "").upper()
            reason = (m.group(5) or "").strip()
            if directive == "SKIP":
                status = "skip"
            elif directive == "XFAIL" or (directive == "TODO" and not ok):
                status = "xfail"
            elif directive in ("XPASS", "TODO"):
                status = "xpass"
                reason = "expected to fail but passed: update the test"
            else:
                status = "pass" if ok else "fail"
            run.results.append((status, label, directive, reason))
    close_doc()
    if timed_out:
        run.problems.append("timed out (QEMU killed)")
    if host:
        if not run.results:
            run.problems.append("printed no test results")
        return run
    if not run.done:
        if not run.results:
            run.problems.append("the guest printed no test output")
        run.problems.append("the guest never reached 'bed: done' "
                            "(hang, panic, or a second kernel that did not start)")
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--name", required=True)
    ap.add_argument("--timed-out", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--host", action="store_true",
                    help="a host test program's output: no guest, no 'bed: done'")
    a = ap.parse_args()
    with open(a.log, errors="replace") as f:
        run = judge(f, a.name, a.timed_out, a.host)
    mark = {"pass": "ok  ", "fail": "FAIL", "skip": "skip", "xfail": "xfail", "xpass": "XPASS"}
    for status, label, _, reason in run.results:
        extra = f"  ({reason})" if reason and status != "pass" else ""
        print(f"  {mark[status]:5} {a.name}: {label}{extra}")
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
                       "results": [dict(zip(("status", "label", "directive", "reason"), r))
                                   for r in run.results]}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
