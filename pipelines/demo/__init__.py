"""Cohorts to load: the demo shaped like the study (20 patients) and synthetic registries of
any size, with planted problems on request."""
