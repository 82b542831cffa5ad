{#-
    The item columns of the questionnaire codebook seed, in its order (item_order): those of
    one parameter, or all of them. The codebook is the one list of items; models read it here
    instead of repeating it. The seed's table is read by name, since in a unit test a ref is the
    test's fixture (and dbt gives unit tests no graph: there the seed is looked for in the
    `reference` schema of the model's database, where dbt_project.yml puts seeds). A model that
    calls this macro declares the seed as its parent with a `depends_on` comment. At parse time
    (execute is false) the list is empty.
-#}
{% macro codebook_items(param_code=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set seed = (graph.get('nodes') or {}).get('seed.' ~ project_name ~ '.questionnaire_codebook') -%}
    {%- if seed -%}
        {%- set codebook = api.Relation.create(
            database=seed.database, schema=seed.schema, identifier=seed.alias) -%}
    {%- else -%}
        {%- set codebook = api.Relation.create(
            database=model.database, schema='reference', identifier='questionnaire_codebook') -%}
    {%- endif -%}
    {%- set query -%}
        select item from {{ codebook }}
        where kind = 'item'
        {%- if param_code is not none %} and param_code = '{{ param_code }}'{% endif %}
        order by item_order
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
