"""The Dagster code location of the pain-clinic outcomes warehouse: Dagster wiring in defs/,
the stages it runs in ingest/ and publish/, what they share in core/, demo cohorts in demo/,
and the `pmps` command (cli.py)."""

import warnings

# pandera imports pyspark.pandas whenever pyspark is installed (the `spark` extra), and that
# warns once per process about pandas 3, which the pipeline never uses through pyspark: the
# warning would break the one-line messages of `pmps` on a machine set up for Spark.
PYSPARK_PANDAS_WARNING = "PySpark does not yet fully support pandas"
warnings.filterwarnings("ignore", message=PYSPARK_PANDAS_WARNING, category=FutureWarning)
