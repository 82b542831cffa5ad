{#-
    An aggregate: the distinct non-null values of `expression` in the group, sorted, joined by
    `delimiter` (a string). Neither dbt.listagg (no distinct; on Spark no order) nor one SQL
    form serves every engine.
-#}
{% macro string_agg_distinct_sorted(expression, delimiter) -%}
    {{ return(adapter.dispatch('string_agg_distinct_sorted', 'pmps')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_distinct_sorted(expression, delimiter) -%}
    listagg(distinct {{ expression }}, '{{ delimiter }}') within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__string_agg_distinct_sorted(expression, delimiter) -%}
    array_to_string(list_sort(list_distinct(list({{ expression }}))), '{{ delimiter }}')
{%- endmacro %}

{% macro spark__string_agg_distinct_sorted(expression, delimiter) -%}
    array_join(array_sort(collect_set({{ expression }})), '{{ delimiter }}')
{%- endmacro %}
