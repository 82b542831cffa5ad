with outcomes as (
    select * from {{ ref('int_outcomes_baselined') }}
),

final as (
    select
        site,
        mrn,
        group_code,
        in_analysis,
        visit_code,
        visit_order,
        study_day,
        param_code,
        value,
        category,
        is_prorated,
        phq9_item9_positive,
        is_baseline,
        baseline_value,
        change,
        pct_change,
        pre_usgdn_value,
        change_from_pre_usgdn
    from outcomes
)

select * from final
