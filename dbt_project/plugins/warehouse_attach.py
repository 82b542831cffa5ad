"""dbt-duckdb plugin: attach the load's warehouse file as the database ``warehouse``.

The file is named by $PMPS_WAREHOUSE_DB, which the pipeline sets for each load. The profile
itself opens an in-memory database and names no file, so it is the same for every warehouse:
dbt's partial parsing (which starts over whenever the profile changes) stays valid, and a load
into a new warehouse does not parse the whole project again.
"""

import os

from dbt.adapters.duckdb.plugins import BasePlugin

WAREHOUSE_DB_VARIABLE = "PMPS_WAREHOUSE_DB"
DEFAULT_WAREHOUSE_DB = "../data/warehouse/warehouse.duckdb"  # for dbt run by hand from here


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        path = os.environ.get(WAREHOUSE_DB_VARIABLE, DEFAULT_WAREHOUSE_DB)
        conn.execute("ATTACH IF NOT EXISTS '{}' AS warehouse".format(path.replace("'", "''")))
        conn.execute("USE warehouse")
