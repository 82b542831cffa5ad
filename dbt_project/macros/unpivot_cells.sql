{#-
    Every non-null cell of `relation` outside `key_columns` as a row: the key columns, the
    cell's column name (as `name_column`) and its value as text (as `value_column`). Which
    columns these are is decided when the query runs, not when it compiles, so a model can
    join the result to a seed (the questionnaire codebook) instead of naming the columns.
-#}
{% macro unpivot_cells(relation, key_columns, name_column, value_column) -%}
    {{ return(adapter.dispatch('unpivot_cells', 'pmps')(
        relation, key_columns, name_column, value_column)) }}
{%- endmacro %}

{% macro default__unpivot_cells(relation, key_columns, name_column, value_column) -%}
    {{ exceptions.raise_compiler_error('unpivot_cells has no form for ' ~ target.type) }}
{%- endmacro %}

{#- DuckDB's UNPIVOT over a COLUMNS expression, each cell cast to text (the columns differ in
    type); UNPIVOT leaves out nulls. -#}
{% macro duckdb__unpivot_cells(relation, key_columns, name_column, value_column) -%}
    {%- set keys = key_columns | join(', ') -%}
    select *
    from (
        select {{ keys }}, cast(columns(* exclude ({{ keys }})) as varchar)
        from {{ relation }}
    )
    unpivot ({{ value_column }} for {{ name_column }} in (columns(* exclude ({{ keys }}))))
{%- endmacro %}

{#- Spark: the row as a JSON object read back as a map of text values (to_json leaves out
    null fields), one row per entry. The key columns are entries too; the caller's join
    drops them. -#}
{% macro spark__unpivot_cells(relation, key_columns, name_column, value_column) -%}
    select
        {{ key_columns | join(', ') }},
        explode(from_json(to_json(struct(*)), 'map<string, string>'))
            as ({{ name_column }}, {{ value_column }})
    from {{ relation }}
{%- endmacro %}
