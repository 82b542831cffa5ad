-- Each outcome with its study day, baseline and pre-USGDN reference, and the changes from
-- them (INSTRUMENTS.md, Dates, baseline and change). Where two assessments share a date,
-- the later visit_order is the later assessment.
with outcomes as (
    select * from {{ ref('int_outcomes_long') }}
),

patients as (
    select site, mrn, group_code, in_analysis, index_date, first_usgdn_date
    from {{ ref('int_patients_grouped') }}
),

dated as (
    select outcomes.*, patients.group_code, patients.in_analysis, patients.index_date,
        patients.first_usgdn_date
    from outcomes
    inner join patients using (site, mrn)
),

baselines as (
    select site, mrn, param_code, visit_code as baseline_visit_code, value as baseline_value
    from dated
    where assessment_date <= index_date
    qualify row_number() over (
        partition by site, mrn, param_code order by assessment_date desc, visit_order desc) = 1
),

pre_usgdn_references as (
    select site, mrn, param_code, value as pre_usgdn_value
    from dated
    where assessment_date <= first_usgdn_date
    qualify row_number() over (
        partition by site, mrn, param_code order by assessment_date desc, visit_order desc) = 1
),

final as (
    select
        dated.site,
        dated.mrn,
        dated.group_code,
        dated.in_analysis,
        dated.visit_code,
        dated.visit_order,
        case
            when dated.assessment_date >= dated.index_date
            then date_diff('day', dated.index_date, dated.assessment_date) + 1
            else date_diff('day', dated.index_date, dated.assessment_date)
        end::integer as study_day,
        dated.param_code,
        dated.value,
        dated.category,
        dated.is_prorated,
        dated.phq9_item9_positive,
        coalesce(dated.visit_code = baselines.baseline_visit_code, false) as is_baseline,
        baselines.baseline_value,
        dated.value - baselines.baseline_value as change,
        case
            when baselines.baseline_value <> 0
            then 100 * (dated.value - baselines.baseline_value) / abs(baselines.baseline_value)
        end as pct_change,
        pre_usgdn_references.pre_usgdn_value,
        dated.value - pre_usgdn_references.pre_usgdn_value as change_from_pre_usgdn
    from dated
    left join baselines using (site, mrn, param_code)
    left join pre_usgdn_references using (site, mrn, param_code)
)

select * from final
