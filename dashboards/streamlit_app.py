"""A dashboard of the published warehouse: `make dashboard` (http://localhost:8501).

It stands alone, as a dashboard of its own would: it imports nothing from the pipeline and
knows only the published tables and the warehouse folder's layout (``current`` names the
published release).

It reads what a load publishes, never the warehouse a load writes: the curated tables of
``analytics.duckdb`` (opened read-only for each query and closed at once) and the Parquet
exports of ``published/parquet/``. Each page view resolves ``current`` first, so the page
shows the newest load from the next view on, and the cache holds results per release.

    PMPS_WAREHOUSE_DIR=/srv/pmps/warehouse streamlit run dashboards/streamlit_app.py
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

WAREHOUSE = Path(os.environ.get("PMPS_WAREHOUSE_DIR", "data/warehouse")).resolve()


def current_release(warehouse: Path) -> Path | None:
    """The release folder the warehouse publishes now; None before the first load."""
    current = warehouse / "current"
    return Path(os.path.realpath(current)) if current.exists() else None


@st.cache_data(max_entries=64)
def query(release: str, sql: str, parameters: tuple = ()) -> pd.DataFrame:
    """A query of one release's ``analytics.duckdb``, read-only, connection closed after."""
    with duckdb.connect(str(Path(release) / "analytics.duckdb"), read_only=True) as con:
        return con.execute(sql, list(parameters)).df()


@st.cache_data(max_entries=64)
def parquet(release: str, table: str) -> pd.DataFrame:
    """A table's Parquet export of one release."""
    return pd.read_parquet(Path(release) / "published" / "parquet" / f"{table}.parquet")


def group_means(release: str, param_code: str) -> pd.DataFrame:
    """A parameter's group means per visit, the visits named and in the study's order."""
    return query(release, """
        SELECT v.visit_order, v.visit_name AS visit, coalesce(g.short_label, 'All') AS grp,
               s.mean, s.mean_sd, s.n
        FROM group_summary s
        JOIN ref_visits v USING (visit_code)
        LEFT JOIN ref_code_lists g ON g.list_name = 'group_code' AND g.code = s.group_code
        WHERE s.param_code = ? ORDER BY s.group_code = 'ALL', grp, v.visit_order""",
                 (param_code,))


def means_chart(means: pd.DataFrame, title: str) -> alt.Chart:
    """Lines of the group means over the visits, in visit order; a group's line breaks at a
    visit it has no value for (Group 2 has none after NI)."""
    visits = list(dict.fromkeys(means.sort_values("visit_order")["visit"]))
    every_visit = pd.MultiIndex.from_product([means["grp"].unique(), visits],
                                             names=["grp", "visit"])
    points = means.set_index(["grp", "visit"]).reindex(every_visit).reset_index()
    return alt.Chart(points, title=title).mark_line(point=True).encode(
        x=alt.X("visit:N", sort=visits, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean:Q", title="mean"),
        color=alt.Color("grp:N", title="group", scale=alt.Scale(
            domain=["Group 1", "Group 2", "All"], range=["#0072B2", "#D55E00", "#7f7f7f"])),
        tooltip=["grp", "visit", alt.Tooltip("mean:Q", format=".1f"), "n"])


def main() -> None:
    st.set_page_config(page_title="PMPS outcomes", layout="wide")
    st.title("Dry needling for postmastectomy pain: outcomes")
    release = current_release(WAREHOUSE)
    if release is None:
        st.info(f"No load has published into {WAREHOUSE} yet: run `pmps load`.")
        return
    release_path = str(release)
    flow = query(release_path, """
        SELECT f.reason AS group_code, g.short_label, f.n FROM study_flow f
        JOIN ref_code_lists g ON g.list_name = 'group_code' AND g.code = f.reason
        WHERE f.site = 'ALL' AND f.stage = 'group' ORDER BY g.display_order""")
    load_id = query(release_path, "SELECT max(load_id) AS load_id FROM load_audit")
    st.caption(f"Load {int(load_id['load_id'].iloc[0])} · {WAREHOUSE}")
    columns = st.columns(len(flow) + 1)
    columns[0].metric("Patients in the analysis", int(flow["n"].sum()))
    for column, row in zip(columns[1:], flow.itertuples(index=False), strict=True):
        column.metric(row.short_label, int(row.n))

    parameters = query(release_path, """
        SELECT param_code, short_name FROM ref_parameters ORDER BY display_order""")
    names = dict(zip(parameters["param_code"], parameters["short_name"], strict=True))
    param_code = st.selectbox("Outcome", list(names), format_func=names.get)
    left, right = st.columns(2)
    means = group_means(release_path, param_code)
    left.altair_chart(means_chart(means, f"{names[param_code]}: group mean by visit"),
                      width="stretch")
    right.markdown("**Mean (SD) by group and visit**")
    right.table(means.pivot_table(index="grp", columns="visit", values="mean_sd",
                                  aggfunc="first", sort=False).rename_axis(index="group"))

    st.markdown(f"**Responders, {names[param_code]}** (from the Parquet export of "
                "responder_summary)")
    responders = parquet(release_path, "responder_summary")
    chosen = responders[responders["criterion"].str.startswith(param_code)]
    st.table(chosen.assign(responders=chosen["n_responders"].astype(str) + " / "
                           + chosen["n_evaluable"].astype(str))
             .pivot_table(index=["criterion", "group_code"], columns="visit_code",
                          values="responders", aggfunc="first", sort=False)
             .rename_axis(columns="responders / evaluable at"))


main()
