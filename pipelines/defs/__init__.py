"""The Dagster layer, kept thin: assets, checks, the job, schedule and sensor, resources, the
dbt project, and running the job for `pmps load` and `pmps dev`. pipelines/definitions.py
assembles them."""
