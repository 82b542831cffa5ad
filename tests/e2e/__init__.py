"""End-to-end tests: the real `pmps` command loads files into temporary warehouses (a real
DuckDB file, a real `dbt build`, the real Dagster job) and the tests read what it published."""
