"""The Dagster code location of the pain-clinic outcomes warehouse: Dagster wiring in defs/,
the stages it runs in ingest/ and publish/, what they share in core/, demo cohorts in demo/,
and the `pmps` command (cli.py)."""
