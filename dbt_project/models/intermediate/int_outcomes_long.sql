-- One row per assessment and parameter with a value, with its category and flags.
with scored as (
    select * from {{ ref('int_questionnaires_scored') }}
),

mme as (
    select * from {{ ref('int_assessments_mme') }}
),

assessments as (
    select scored.*, mme.mme
    from scored
    left join mme using (site, mrn, visit_code)
),

unpivoted as (
    select site, mrn, visit_code, visit_order, assessment_date,
        'NRS' as param_code, nrs_score as value, false as is_prorated, null::integer as phq9_9
    from assessments
    union all
    select site, mrn, visit_code, visit_order, assessment_date,
        'PAINDETECT', paindetect_score, false, null
    from assessments
    union all
    select site, mrn, visit_code, visit_order, assessment_date,
        'DASH', dash_score, false, null
    from assessments
    union all
    select site, mrn, visit_code, visit_order, assessment_date,
        'PHQ9', phq9_score, phq9_is_prorated, phq9_9
    from assessments
    union all
    select site, mrn, visit_code, visit_order, assessment_date,
        'MME', mme, false, null
    from assessments
),

final as (
    select
        site,
        mrn,
        visit_code,
        visit_order,
        assessment_date,
        param_code,
        value,
        case
            when param_code = 'PAINDETECT' then
                case when value <= 12 then 'unlikely' when value <= 18 then 'unclear' else 'likely' end
            when param_code = 'PHQ9' then
                -- a prorated score takes the band of its value rounded half up
                case
                    when floor(value + 0.5) <= 4 then 'minimal'
                    when floor(value + 0.5) <= 9 then 'mild'
                    when floor(value + 0.5) <= 14 then 'moderate'
                    when floor(value + 0.5) <= 19 then 'moderately_severe'
                    else 'severe'
                end
        end as category,
        is_prorated,
        case when param_code = 'PHQ9' then phq9_9 >= 1 end as phq9_item9_positive
    from unpivoted
    where value is not null
)

select * from final
