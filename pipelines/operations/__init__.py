"""What runs around the Dagster job: the run history (where it lives, how much is kept),
`pmps load`'s in-process run and its closing report, and the processes a load or `pmps dev`
starts. It stands above pipelines/defs."""
