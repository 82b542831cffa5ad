{#-
    Within one row: how many of the columns are not null, and the sum of those that are (0 when
    none is). Plain arithmetic, the same on every engine (no lists or lambdas).
-#}
{% macro count_not_null(columns) -%}
    ({% for column in columns %}case when {{ column }} is not null then 1 else 0 end{{ ' + ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro sum_not_null(columns) -%}
    ({% for column in columns %}coalesce({{ column }}, 0){{ ' + ' if not loop.last }}{% endfor %})
{%- endmacro %}
