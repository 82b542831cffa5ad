{#-
    Every non-null cell of `relation` outside `key_columns` whose value converts to
    `value_type`, as a row: the key columns, the cell's column name (as `name_column`) and its
    value (as `value_column`). Which columns these are is decided when the query runs, not when
    it compiles, so a model can join the result to a seed (the questionnaire codebook) instead
    of naming the columns; cells of other types (dates, text) come out as nulls and are left
    out, and the caller's join drops any other column.
-#}
{% macro unpivot_cells(relation, key_columns, name_column, value_column, value_type) -%}
    {{ return(adapter.dispatch('unpivot_cells', 'pmps')(
        relation, key_columns, name_column, value_column, value_type)) }}
{%- endmacro %}

{% macro default__unpivot_cells(relation, key_columns, name_column, value_column, value_type) -%}
    {{ exceptions.raise_compiler_error('unpivot_cells has no form for ' ~ target.type) }}
{%- endmacro %}

{#- DuckDB's UNPIVOT over a COLUMNS expression, each cell converted first (the columns differ
    in type); UNPIVOT leaves out nulls. -#}
{% macro duckdb__unpivot_cells(relation, key_columns, name_column, value_column, value_type) -%}
    {%- set keys = key_columns | join(', ') -%}
    select *
    from (
        select {{ keys }}, try_cast(columns(* exclude ({{ keys }})) as {{ value_type }})
        from {{ relation }}
    )
    unpivot ({{ value_column }} for {{ name_column }} in (columns(* exclude ({{ keys }}))))
{%- endmacro %}

{#- Spark: the row as a JSON object read back as a map of text values (to_json leaves out
    null fields), one row per entry, converted. The key columns are entries too; the caller's
    join drops them. -#}
{% macro spark__unpivot_cells(relation, key_columns, name_column, value_column, value_type) -%}
    select
        {{ key_columns | join(', ') }},
        {{ name_column }},
        try_cast(cell_text as {{ value_type }}) as {{ value_column }}
    from (
        select
            {{ key_columns | join(', ') }},
            explode(from_json(to_json(struct(*)), 'map<string, string>'))
                as ({{ name_column }}, cell_text)
        from {{ relation }}
    ) as cells
{%- endmacro %}
