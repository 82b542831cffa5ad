"""From the marts to the published outputs: the release (analytics.duckdb and published/),
the group-level summaries, the report, the data dictionary, the exports for R, SPSS, Stata and
dashboards, the data issues' copy, and the paper's table."""
