{#-
    The database every model, seed and source lives in. On DuckDB it is the load's warehouse
    file, attached as `warehouse` (plugins/warehouse_attach.py); Spark has no databases above
    its schemas, so there it is left out; on Databricks it is the profile's catalog.
-#}
{% macro warehouse_database() -%}
    {{ return(adapter.dispatch('warehouse_database', 'pmps')()) }}
{%- endmacro %}

{% macro default__warehouse_database() -%}
    {{ return(target.database) }}
{%- endmacro %}

{% macro databricks__warehouse_database() -%}
    {{ return(target.database) }}
{%- endmacro %}

{% macro spark__warehouse_database() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__warehouse_database() -%}
    {{ return('warehouse') }}
{%- endmacro %}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{ return(pmps.warehouse_database()) }}
{%- endmacro %}
