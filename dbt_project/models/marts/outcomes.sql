with outcomes as (
    select * from {{ ref('int_outcomes_baselined') }}
),

patient_keys as (
    select * from {{ ref('stg_ingest__patient_keys') }}
),

final as (
    select
        patient_keys.patient_key,
        outcomes.site,
        outcomes.mrn,
        outcomes.group_code,
        outcomes.in_analysis,
        outcomes.visit_code,
        outcomes.visit_order,
        outcomes.study_day,
        outcomes.param_code,
        outcomes.value,
        outcomes.category,
        outcomes.is_prorated,
        outcomes.phq9_item9_positive,
        outcomes.is_baseline,
        outcomes.baseline_value,
        outcomes.change,
        outcomes.pct_change,
        outcomes.pre_usgdn_value,
        outcomes.change_from_pre_usgdn
    from outcomes
    inner join patient_keys using (site, mrn)
)

select * from final
