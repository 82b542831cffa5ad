"""The Dagster layer, kept thin: assets, checks, the job, schedule and sensor, resources and the
dbt project. pipelines/definitions.py assembles them; pipelines/operations runs the job for
`pmps load` and `pmps dev`."""
