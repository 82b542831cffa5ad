"""The assets of the nightly load: ingest, the dbt models, publish."""
