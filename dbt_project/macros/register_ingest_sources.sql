{#-
    The ingest tables reach Spark as Parquet: the ingest writes one dataset per source table
    into the hand-over folder ($PMPS_HANDOVER_DIR/ingest/<table>), and before the build each
    is declared as an external table of the `ingest` schema, read afresh by every load. On
    DuckDB the ingest tables are in the warehouse itself: nothing to do.
-#}
{% macro register_ingest_sources() -%}
    {{ return(adapter.dispatch('register_ingest_sources', 'pmps')()) }}
{%- endmacro %}

{% macro default__register_ingest_sources() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_ingest_sources() -%}
    {%- if execute -%}
        {%- set handover = env_var('PMPS_HANDOVER_DIR') -%}
        {%- do run_query('create database if not exists ingest') -%}
        {%- for source in graph.sources.values() if source.source_name == 'ingest' -%}
            {%- do run_query('drop table if exists ingest.' ~ source.name) -%}
            {%- do run_query('create table ingest.' ~ source.name ~ ' using parquet location '
                             ~ "'" ~ handover ~ '/ingest/' ~ source.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
