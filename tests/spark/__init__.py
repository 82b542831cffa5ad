"""The warehouse built on Apache Spark, compared with DuckDB (`make test-spark`)."""
