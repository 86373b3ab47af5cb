#!/usr/bin/env python3
"""Run the bed's own host-side unit tests (selftests/bed/test_*.py) and
print KTAP, so scripts/check judges them like every other test."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))


class KtapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _emit(self, ok, test, directive=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} {test.id()}{directive}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._emit(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        for line in self._exc_info_to_string(err, test).splitlines():
            print("# " + line)
        self._emit(False, test)

    def addError(self, test, err):
        super().addError(test, err)
        for line in self._exc_info_to_string(err, test).splitlines():
            print("# " + line)
        self._emit(False, test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._emit(True, test, f" # SKIP {reason}")


def main():
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
    print("KTAP version 1")
    print(f"1..{suite.countTestCases()}")
    result = KtapResult()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
