# `make demo` and `make test` set everything up on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SPARK_INSTALLED := $(VENV)/.installed-spark
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := dbt_project/dbt_project.yml dbt_project/profiles.yml \
	$(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f)

.PHONY: demo test test-unit test-spark lint dbt-parse dev dashboard bench docs clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dashboard]'
	touch $@

# pyspark and dbt-spark for `engine: spark`; only `make test-spark` and `make bench` with
# `BENCH_ARGS=--engine spark` need them (and Java 17).
$(SPARK_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,dashboard,spark]'
	touch $@

# The dbt manifest is prepared once here, never at import time. The target is the one a load
# builds with (`--target warehouse`): dbt's partial parse holds only for the same target, and a
# load's first build in a new warehouse would otherwise parse the whole project again.
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --target warehouse

dbt-parse: $(MANIFEST)

demo: $(MANIFEST)
	$(BIN)/pmps demo
	$(BIN)/pmps load
	$(BIN)/pmps summary

# ruff over the Python; sqlfluff over the dbt project's SQL as dbt compiles it for DuckDB (an
# in-memory warehouse: the project compiles from its files alone), into a target folder of its own.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	cd dbt_project && PMPS_WAREHOUSE_DB=:memory: DBT_TARGET_PATH=target/sqlfluff \
		../$(BIN)/sqlfluff lint .

test: $(MANIFEST) lint
	$(BIN)/pytest

# The same tables built on Apache Spark as on DuckDB, cell by cell (tests/spark): needs Java 17.
test-spark: $(MANIFEST) $(SPARK_INSTALLED)
	$(BIN)/pytest tests/spark

# The unit tests alone (no load is run): seconds, for the edit-and-check loop.
test-unit: $(MANIFEST)
	$(BIN)/pytest tests/unit

# dbt's documentation of the models, seeds and tests (served by `make docs-serve`).
docs: $(MANIFEST)
	cd dbt_project && PMPS_WAREHOUSE_DB=$(abspath data/warehouse/warehouse.duckdb) ../$(BIN)/dbt docs generate --quiet

docs-serve: docs
	cd dbt_project && ../$(BIN)/dbt docs serve --port 8081

# The load at registry scale (1 000, 10 000 and 100 000 patients), timed against the floor
# (../shared/bench/floor.py) where it is present. Not part of `make test`; takes minutes.
bench: $(MANIFEST)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# `dagster dev` in the repository root; run history and sensor cursors live in
# data/warehouse/dagster_home (as for `pmps load`). SIGTERM or Ctrl-C stops all of it.
dev: $(MANIFEST)
	$(BIN)/pmps dev

# The example dashboard on the published warehouse (http://localhost:8501; Ctrl-C stops it).
# PMPS_WAREHOUSE_DIR names another warehouse folder.
dashboard: $(INSTALLED)
	PMPS_WAREHOUSE_DIR=$${PMPS_WAREHOUSE_DIR:-$(abspath data/warehouse)} $(BIN)/streamlit run \
		dashboards/streamlit_app.py --server.headless true --browser.gatherUsageStats false

clean:
	rm -rf data dbt_project/target dbt_project/logs
