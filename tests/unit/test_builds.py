"""Which dbt models a load rebuilds (pipelines/core/builds.py), on hand-made manifests and a
real DuckDB table."""

from __future__ import annotations

import duckdb

from pipelines.core import builds


def manifest() -> dict:
    """ingest.a -> stg_a -> int_a -> mart; ingest.b -> stg_b -> mart and issues;
    seed codes -> int_a; a test on mart."""
    nodes = {
        "model.p.stg_a": {"name": "stg_a", "resource_type": "model"},
        "model.p.stg_b": {"name": "stg_b", "resource_type": "model"},
        "model.p.int_a": {"name": "int_a", "resource_type": "model"},
        "model.p.mart": {"name": "mart", "resource_type": "model"},
        "model.p.issues": {"name": "issues", "resource_type": "model"},
        "seed.p.codes": {"name": "codes", "resource_type": "seed"},
        "test.p.not_null_mart": {"name": "not_null_mart", "resource_type": "test"},
    }
    sources = {f"source.p.ingest.{t}": {"package_name": "p", "source_name": "ingest",
                                         "name": t} for t in ("a", "b")}
    child_map = {
        "source.p.ingest.a": ["model.p.stg_a"], "source.p.ingest.b": ["model.p.stg_b"],
        "model.p.stg_a": ["model.p.int_a"], "seed.p.codes": ["model.p.int_a"],
        "model.p.int_a": ["model.p.mart"], "model.p.stg_b": ["model.p.mart", "model.p.issues"],
        "model.p.mart": ["test.p.not_null_mart"], "model.p.issues": [],
    }
    parent_map = {child: [] for child in nodes}
    for parent, children in child_map.items():
        for child in children:
            parent_map[child].append(parent)
    return {"nodes": nodes, "sources": sources, "child_map": child_map,
            "parent_map": parent_map}


def inputs(a: str = "1:1", b: str = "2:2", project: str = "p1", target: str = "t") -> dict:
    return {"project": project, "target": target, "tables": {"a": a, "b": b}}


def test_nothing_recorded_or_another_project_or_target_builds_everything():
    assert builds.changed_tables(None, inputs()) is None
    assert builds.changed_tables(inputs(project="p0"), inputs()) is None
    assert builds.changed_tables(inputs(target="spark"), inputs()) is None
    assert builds.unchanged_nodes(manifest(), None) == []
    assert builds.exclusion(manifest(), []) == []


def test_only_the_changed_tables_are_named():
    assert builds.changed_tables(inputs(), inputs()) == []
    assert builds.changed_tables(inputs(), inputs(b="3:3")) == ["b"]


def test_nothing_changed_leaves_every_model_and_seed_parents_first():
    unchanged = builds.unchanged_nodes(manifest(), [])
    assert set(unchanged) == builds.buildable(manifest()) == {
        "model.p.stg_a", "model.p.stg_b", "model.p.int_a", "model.p.mart", "model.p.issues",
        "seed.p.codes"}
    position = {uid: n for n, uid in enumerate(unchanged)}
    assert position["seed.p.codes"] < position["model.p.int_a"] < position["model.p.mart"]
    assert position["model.p.stg_a"] < position["model.p.int_a"]
    assert position["model.p.stg_b"] < min(position["model.p.mart"], position["model.p.issues"])
    assert builds.exclusion(manifest(), ["model.p.stg_a", "seed.p.codes"]) == [
        "--exclude", "stg_a codes"]


def test_a_changed_table_rebuilds_everything_downstream_of_it():
    assert builds.unchanged_nodes(manifest(), ["a"]) == [
        "model.p.stg_b", "seed.p.codes", "model.p.issues"]
    assert builds.unchanged_nodes(manifest(), ["b"]) == [
        "model.p.stg_a", "seed.p.codes", "model.p.int_a"]


def test_a_table_digest_ignores_row_order_and_load_id_but_not_content():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ingest")
    con.execute("CREATE TABLE ingest.t AS SELECT * FROM (VALUES (1, 'x', 7), (2, 'y', 7)) "
                "v(n, s, load_id)")
    first = builds.table_digest(con, "t")
    con.execute("CREATE OR REPLACE TABLE ingest.t AS SELECT * FROM (VALUES (2, 'y', 8), "
                "(1, 'x', 8)) v(n, s, load_id)")
    assert builds.table_digest(con, "t") == first
    con.execute("CREATE OR REPLACE TABLE ingest.t AS SELECT * FROM (VALUES (2, 'y', 8), "
                "(1, 'z', 8)) v(n, s, load_id)")
    assert builds.table_digest(con, "t") != first
    # a duplicated row is counted: two copies are not one
    con.execute("CREATE OR REPLACE TABLE ingest.t AS SELECT * FROM (VALUES (1, 'x', 7), "
                "(1, 'x', 7)) v(n, s, load_id)")
    twice = builds.table_digest(con, "t")
    con.execute("CREATE OR REPLACE TABLE ingest.t AS SELECT * FROM (VALUES (1, 'x', 7)) "
                "v(n, s, load_id)")
    assert builds.table_digest(con, "t") != twice
    assert builds.table_digest(con, "absent") == "absent"


def test_the_record_is_written_private_and_forgotten(tmp_path):
    assert builds.recorded(tmp_path) is None
    builds.record(tmp_path, inputs())
    assert builds.recorded(tmp_path) == inputs()
    assert (tmp_path / builds.RECORD).stat().st_mode & 0o777 == 0o600
    builds.forget(tmp_path)
    assert builds.recorded(tmp_path) is None


def test_a_digest_follows_the_files_their_names_and_the_libraries(tmp_path):
    from pipelines.core.digests import digest

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1")
    (tmp_path / "models" / "notes.txt").write_text("left out by suffix")
    first = digest(["models"], root=tmp_path, suffixes=(".sql",))
    (tmp_path / "models" / "notes.txt").write_text("changed")
    assert digest(["models"], root=tmp_path, suffixes=(".sql",)) == first
    (tmp_path / "models" / "a.sql").write_text("select 2")
    assert digest(["models"], root=tmp_path, suffixes=(".sql",)) != first
    (tmp_path / "models" / "a.sql").rename(tmp_path / "models" / "b.sql")
    renamed = digest(["models"], root=tmp_path, suffixes=(".sql",))
    assert renamed != first
    assert digest(["models"], ["duckdb"], root=tmp_path, suffixes=(".sql",)) != renamed


def test_results_are_carried_over_only_for_checks_not_run():
    previous = {**inputs(), "checks": {"mart:not_null": {"passed": True, "severity": "ERROR"},
                                       "mart:rows_warn": {"passed": False, "severity": "WARN"},
                                       "stg_b:unique": {"passed": True, "severity": "ERROR"}}}
    ran = {"stg_b:unique": {"passed": False, "severity": "ERROR"}}
    selected = ["mart:not_null", "mart:rows_warn", "stg_b:unique", "issues:new_test"]
    assert builds.carried_over(previous, ran, selected) == {
        "mart:not_null": {"passed": True, "severity": "ERROR"},
        "mart:rows_warn": {"passed": False, "severity": "WARN"}}  # a warning stays a warning
    assert builds.carried_over(previous, ran, ["mart:not_null"]) == {
        "mart:not_null": {"passed": True, "severity": "ERROR"}}
    assert builds.carried_over(None, {}, selected) == {}  # nothing recorded: nothing carried
    assert builds.carried_over(inputs(), {}, selected) == {}  # a record made before checks
