-- Each outcome with its study day, baseline and pre-USGDN reference, and the changes from
-- them (docs/scoring.md#10-baseline-and-change). Where two assessments share a date,
-- the later visit_order is the later assessment.
with outcomes as (
    select * from {{ ref('int_outcomes_long') }}
),

patients as (
    select
        site,
        mrn,
        group_code,
        in_analysis,
        index_date,
        first_usgdn_date
    from {{ ref('int_patients_grouped') }}
),

dated as (
    select
        outcomes.*,
        patients.group_code,
        patients.in_analysis,
        patients.index_date,
        patients.first_usgdn_date
    from outcomes
    inner join patients using (site, mrn)
),

-- the assessments on or before the index date, the latest first
baseline_candidates as (
    select
        site,
        mrn,
        param_code,
        visit_code,
        value,
        row_number() over (
            partition by site, mrn, param_code order by assessment_date desc, visit_order desc
        ) as recency
    from dated
    where assessment_date <= index_date
),

baselines as (
    select
        site,
        mrn,
        param_code,
        visit_code as baseline_visit_code,
        value as baseline_value
    from baseline_candidates
    where recency = 1
),

-- the assessments on or before the first USGDN, the latest first
pre_usgdn_candidates as (
    select
        site,
        mrn,
        param_code,
        value,
        row_number() over (
            partition by site, mrn, param_code order by assessment_date desc, visit_order desc
        ) as recency
    from dated
    where assessment_date <= first_usgdn_date
),

pre_usgdn_references as (
    select
        site,
        mrn,
        param_code,
        value as pre_usgdn_value
    from pre_usgdn_candidates
    where recency = 1
),

final as (
    select
        dated.site,
        dated.mrn,
        dated.group_code,
        dated.in_analysis,
        dated.visit_code,
        dated.visit_order,
        cast(case
            when dated.assessment_date >= dated.index_date
                then {{ dbt.datediff('dated.index_date', 'dated.assessment_date', 'day') }} + 1  -- noqa: LT05
            else {{ dbt.datediff('dated.index_date', 'dated.assessment_date', 'day') }}
        end as {{ dbt.type_int() }}) as study_day,
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
