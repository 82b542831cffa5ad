"""What a release takes from the published one (pipelines/publish/previous.py and the
site-by-site tables of pipelines/publish/release.py), on small hand-made databases."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.core.tables import TABLE_DDL, columns_of
from pipelines.publish import previous, release

ITEMS = "questionnaire_items"
ORDER = release.PATIENT_TABLES[ITEMS]


def item(key: str, site: str, visit: str, item: str, response: int) -> tuple:
    return (key, site, visit, "NRS", item, response, f"mrn-{key}")


def warehouse(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse whose items mart holds ``rows`` (the published columns and
    the mrn the mart orders by)."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE main.{ITEMS} ({TABLE_DDL[ITEMS]}, mrn VARCHAR)")
    con.executemany(f"INSERT INTO main.{ITEMS} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def published(tmp_path, rows: list[tuple]) -> str:
    """A published analytics.duckdb holding ``rows`` in the published order, attached."""
    path = tmp_path / "published.duckdb"
    con = warehouse(rows)
    con.execute(f"ATTACH '{path}' AS out")
    con.execute(f"CREATE TABLE out.{ITEMS} AS SELECT {', '.join(columns_of(ITEMS))} "
                f"FROM main.{ITEMS} {ORDER}")
    con.close()
    return str(path)


BEFORE = [item("k2", "b", "BASELINE", "nrs", 5), item("k1", "a", "BASELINE", "nrs", 7),
          item("k1", "a", "POST_NI", "nrs", 3), item("k3", "b", "BASELINE", "nrs", 6)]


@pytest.fixture
def staged(tmp_path):
    def build(rows_now: list[tuple], rows_before: list[tuple] | None):
        con = warehouse(rows_now)
        kept = None
        if rows_before is not None:
            con.execute(f"ATTACH '{published(tmp_path, rows_before)}' AS {previous.PREVIOUS} "
                        "(READ_ONLY)")
            kept = previous.PREVIOUS
        con.execute(f"ATTACH '{tmp_path / 'staged.duckdb'}' AS {release.STAGED}")
        whole = release._insert_by_site(con, ITEMS, ORDER, kept)
        fresh = con.execute(f"SELECT {', '.join(columns_of(ITEMS))} FROM main.{ITEMS} "
                            f"{ORDER}").fetchall()
        built = con.execute(f"SELECT * FROM {release.STAGED}.{ITEMS}").fetchall()
        return whole, built, fresh
    return build


def test_without_a_published_release_the_table_is_sorted_from_the_mart(staged):
    whole, built, fresh = staged(BEFORE, None)
    assert not whole
    assert built == fresh
    assert [row[:2] for row in built] == [("k1", "a"), ("k1", "a"), ("k2", "b"), ("k3", "b")]


def test_unchanged_sites_are_copied_and_the_order_is_the_published_one(staged):
    now = [*BEFORE[:3], item("k3", "b", "BASELINE", "nrs", 9)]  # site b changed, a did not
    whole, built, fresh = staged(now, BEFORE)
    assert not whole
    assert built == fresh  # the same rows, in the same order, as sorting everything afresh
    assert ("k3", "b", "BASELINE", "NRS", "nrs", 9) in built


def test_a_table_unchanged_at_every_site_is_whole(staged):
    whole, built, fresh = staged(list(reversed(BEFORE)), BEFORE)
    assert whole
    assert built == fresh


def test_a_new_site_and_a_site_gone(staged):
    now = [*BEFORE[1:3], item("k9", "c", "BASELINE", "nrs", 1)]  # b gone, c new
    whole, built, fresh = staged(now, BEFORE)
    assert not whole and built == fresh


def test_digests_see_order_only_when_asked():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1), ('a', 2)) v(site, n)")
    con.execute("CREATE TABLE u AS SELECT * FROM (VALUES ('a', 2), ('a', 1)) v(site, n)")
    assert previous.site_digests(con, "t", ["site", "n"]) == previous.site_digests(
        con, "u", ["site", "n"])
    assert previous.table_digest(con, "t") != previous.table_digest(con, "u")
    assert previous.has_table(con, "memory", "t", ["site", "n"])
    assert not previous.has_table(con, "memory", "t", ["n", "site"])
    assert not previous.has_table(con, None, "t", ["site", "n"])


def test_figures_are_drawn_once_and_taken_from_the_published_release(tmp_path):
    first, second = tmp_path / "releases" / "1", tmp_path / "releases" / "2"
    for folder in (first, second):
        folder.mkdir(parents=True)
    drawn = []

    def draw() -> bytes:
        drawn.append(1)
        return b"png"

    assert previous.Figures(first, None).get("NRS: 1, 2", draw) == b"png"
    previous.mark_code(first)
    assert previous.Figures(second, first).get("NRS: 1, 2", draw) == b"png"
    assert len(drawn) == 1
    assert previous.Figures(second, first).get("NRS: 1, 3", draw) == b"png"
    assert len(drawn) == 2
    # a release made by other code lends nothing
    (first / previous.PUBLISH_CODE).write_text("other", encoding="utf-8")
    third = tmp_path / "releases" / "3"
    third.mkdir()
    previous.Figures(third, first).get("NRS: 1, 2", draw)
    assert len(drawn) == 3
