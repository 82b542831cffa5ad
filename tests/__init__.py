"""The test suite: tests/unit (pure functions, no load) and tests/e2e (real loads)."""
