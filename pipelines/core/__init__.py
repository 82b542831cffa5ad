"""What every stage shares: the configuration, the reference data read from the dbt seeds,
data issues and their rules, the warehouse database, the published tables' columns, the load
lock, pseudonyms, and the questions the quality checks ask."""
