{{ config(severity='warn') }}
-- Patients in the analysis with values of a parameter but no baseline of it: one row per
-- patient and parameter. A warning: their changes stay empty.
with outcomes as (
    select * from {{ ref('outcomes') }}
),

without_baseline as (
    select distinct
        param_code,
        patient_key
    from outcomes
    where in_analysis and baseline_value is null
)

select * from without_baseline
