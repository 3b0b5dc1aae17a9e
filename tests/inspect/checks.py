"""The inspect tests' reporting: one line a check ("ok" or "FAIL"), skips exit 77 (ctest's
SKIP_RETURN_CODE), and the failures collected for the exit code."""
import sys

failures = []


def check(condition, what, detail=""):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:4000])


def skip(why):
    print("SKIP:", why)
    sys.exit(77)
