"""The order the suite runs in: the test files with the longest loads first, so that the two
workers (``-n 2 --dist loadfile``) finish together instead of one waiting on the last long
file. The rest keep their order."""

from __future__ import annotations

# Measured with `pytest --durations`: each of these runs several real loads in its fixtures.
LONGEST_FIRST = (
    "tests/e2e/test_reuse.py",
    "tests/e2e/test_crash_recovery.py",
    "tests/e2e/test_registry_regression.py",
    "tests/e2e/test_bad_input_issues.py",  # the three files share one set of loads
    "tests/e2e/test_bad_input_audit.py",
    "tests/e2e/test_bad_input_effects.py",
    "tests/e2e/test_concurrent_loads.py",
    "tests/e2e/test_operations.py",
    "tests/e2e/test_multisite_cohort.py",
    "tests/e2e/test_published_load.py",
    "tests/e2e/test_demo_load.py",
)


def pytest_collection_modifyitems(items) -> None:

    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the others, the order stays
