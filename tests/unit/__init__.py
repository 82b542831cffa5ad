"""Fast tests of the pure functions, the parsers and the report; no load is run."""
