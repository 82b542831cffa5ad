-- One row per answered, valid questionnaire item (invalid answers were set aside at ingest).
-- The codebook seed decides which columns are items (clinic totals are not). The pseudonym
-- is joined per assessment, before the unpivot multiplies the rows.
{%- set items = codebook_items() %}
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

patient_keys as (
    select * from {{ ref('stg_ingest__patient_keys') }}
),

codebook as (
    select item, param_code from {{ ref('questionnaire_codebook') }} where kind = 'item'
),

assessments as (
    select
        patient_keys.patient_key,
        questionnaires.site,
        questionnaires.mrn,
        questionnaires.visit_code,
        {{ items | join(', ') }}
    from questionnaires
    inner join patient_keys using (site, mrn)
),

-- the SQL-standard form, which leaves out unanswered items
unpivoted as (
    select *
    from assessments
    unpivot (response for item in ({{ items | join(', ') }}))
),

final as (
    select
        unpivoted.patient_key,
        unpivoted.site,
        unpivoted.mrn,
        unpivoted.visit_code,
        codebook.param_code,
        unpivoted.item,
        cast(unpivoted.response as {{ dbt.type_int() }}) as response
    from unpivoted
    inner join codebook using (item)
)

select * from final
