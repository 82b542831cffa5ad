{{ config(meta={'dagster': {'ref': {'name': 'stg_ingest__questionnaires'}}}) }}
-- Every accepted questionnaire answer lies in its item's valid set, read from the same
-- codebook seed the pandera schemas check the exports with (one source of truth). The
-- published questionnaire_items unpivot these columns.
{%- set codebook_query %}
    select item, min_value, max_value from {{ ref('questionnaire_codebook') }} where kind = 'item'
{%- endset %}
{%- set codebook = run_query(codebook_query).rows if execute else [] %}
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
)

select site, mrn, visit_code
from questionnaires
where false
{%- for item, min_value, max_value in codebook %}
    or {{ item }} not between {{ min_value }} and {{ max_value }}
{%- endfor %}
