"""How the suite runs on its two workers (``-n 2 --dist loadgroup``): each test file is one
group, run by one worker, so its module-scoped loads are made once; the files that read the
demo load (``demo_load`` in tests/e2e/conftest.py) are one group, so it is loaded once. The
files with the longest loads go first, so that the two workers finish together instead of one
waiting on the last long file. The rest keep their order."""

from __future__ import annotations

import pytest

# Measured with `pytest --durations`: each of these runs several real loads in its fixtures.
LONGEST_FIRST = (
    "tests/e2e/test_reuse.py",
    "tests/e2e/test_crash_recovery.py",
    "tests/e2e/test_registry_regression.py",
    "tests/e2e/test_bad_input.py",
    "tests/e2e/test_concurrent_loads.py",
    "tests/e2e/test_operations.py",
    "tests/e2e/test_multisite_cohort.py",
    "tests/e2e/test_published_load.py",
    "tests/e2e/test_demo_load.py",
)


# The files whose tests read the session's demo load: one worker, one demo load.
DEMO_LOAD_READERS = ("tests/e2e/test_demo_load.py", "tests/e2e/test_operations.py",
                     "tests/e2e/test_published_load.py")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("demo_load" if path in DEMO_LOAD_READERS
                                                else path))

    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the others, the order stays
