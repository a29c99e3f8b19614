"""Comparing generated source with golden files (mypy's data-driven style):
an exact match, a unified diff on mismatch, rewritten by ``--update-golden``."""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
        return
    assert path.exists(), f"no golden file {path}: rerun pytest with --update-golden and review it"
    expected = path.read_text()
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                    f"{path.name} (golden)", f"{path.name} (generated)")
        pytest.fail("generated source differs from the golden file; if intended, rerun with "
                    f"--update-golden and review `git diff {path.parent}`:\n" + "".join(diff), pytrace=False)
