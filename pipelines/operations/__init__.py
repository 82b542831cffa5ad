"""What runs around the Dagster job: a load's run from start to end (session: the load lock,
an interrupted release finished, the run history kept), the run history itself, `pmps load`'s
in-process run and its closing report, and the processes a load or `pmps dev` starts. It
stands above pipelines/defs, whose resource imports only pipelines.operations.session."""
