"""Shared test configuration: hypothesis profiles and import path."""
import os

# Check the IR's invariants after every stage of every transformation
# (`srcgrad.ir.check.check_stage`): a broken IR fails the test as an
# InternalError instead of producing a number.  Set before srcgrad is
# imported, and inherited by the subprocesses tests start.
os.environ.setdefault("SRCGRAD_CHECK_IR", "1")   # SRCGRAD_CHECK_IR=0 measures the suite without

from hypothesis import HealthCheck, settings  # noqa: E402

# "ci" runs hundreds of generated programs; SRCGRAD_HYPOTHESIS=thorough runs thousands.
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SRCGRAD_HYPOTHESIS", "ci"))


def pytest_addoption(parser):
    # tests/test_golden.py: rewrite the golden files from the current output
    # instead of comparing (review the result with `git diff tests/golden`).
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.py from the generated source")
