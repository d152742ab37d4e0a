"""What the Python tests share (tests/lib.sh is the shell's): one PASS/FAIL/SKIP
line per check, counted, and the closing "N passed, N failed" with the exit
status (0, or 1 on any failure; 77 = the test is skipped).

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from testlib import report, check, finish

Standard library only (posterior_generations imports h5py when called): it runs
under Debian's /usr/bin/python3 like the tests.
"""
import os
import sys

passed = failed = 0


def report(ok, name, detail=""):
    """One counted line: "PASS NAME", or "FAIL NAME: DETAIL". Returns ok."""
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    sys.stdout.flush()
    return ok


def skip(name, why):
    """A check that cannot run here: "SKIP NAME: WHY" (neither passed nor failed)."""
    print(f"SKIP {name}: {why}")
    sys.stdout.flush()


def skip_test(why):
    """The whole test cannot run here (a missing package): "SKIP TEST: WHY", exit 77."""
    print(f"SKIP {os.path.splitext(os.path.basename(sys.argv[0]))[0]}: {why}")
    sys.exit(77)


class Skipped(Exception):
    """Raised by a check function that cannot run here; the text says why."""


def run_check(name, fn):
    """Run the check function fn: it returns None or "" when all is well, else
    what is wrong; an exception is a FAIL with its text, Skipped a SKIP."""
    try:
        why = fn()
    except Skipped as e:
        skip(name, str(e))
        return
    except Exception as e:  # a check that crashes is a failed check
        why = f"{type(e).__name__}: {e}"
    report(not why, name, why or "")


def check(name):
    """Decorator: run the function at once as the check NAME (see run_check)."""
    def wrap(fn):
        run_check(name, fn)
        return fn
    return wrap


def posterior_generations(path):
    """The complete generations of the posterior file at path (its attribute
    `generations`), or -1 while there is no readable file: what a test polls
    for before it signals a running calibration. Imports h5py (the tests
    that call it have it)."""
    import h5py
    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs["generations"])
    except (OSError, KeyError):
        return -1


def finish():
    """The closing line and the exit status."""
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
