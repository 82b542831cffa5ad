-- One row per answered, valid questionnaire item (invalid answers were set aside at ingest).
-- The codebook seed decides which columns are items (clinic totals are not).
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

codebook as (
    select item, param_code from {{ ref('questionnaire_codebook') }} where kind = 'item'
),

unpivoted as (
    unpivot (
        select site, mrn, visit_code, columns('^(nrs|pd_[a-z0-9]+|dash_[a-z0-9]+|phq9_[a-z0-9]+)$')
        from questionnaires
    )
    on columns('^(nrs|pd_[a-z0-9]+|dash_[a-z0-9]+|phq9_[a-z0-9]+)$')
    into name item value response
),

final as (
    select
        unpivoted.site,
        unpivoted.mrn,
        unpivoted.visit_code,
        codebook.param_code,
        unpivoted.item,
        unpivoted.response::integer as response
    from unpivoted
    inner join codebook using (item)
)

select * from final
