"""Shared test configuration: hypothesis profiles and import path."""
import os

from hypothesis import HealthCheck, settings

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
