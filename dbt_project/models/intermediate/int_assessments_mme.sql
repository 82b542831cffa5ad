-- MME per assessment: the daily MME of the prescriptions active on the assessment date
-- (docs/scoring.md#7-mme). Missing when an active prescription cannot be converted, and for a
-- site without a current medications snapshot.
with assessments as (
    select
        site,
        mrn,
        visit_code,
        assessment_date
    from {{ ref('int_questionnaires_scored') }}
),

prescriptions as (
    select * from {{ ref('stg_ingest__medications') }}
),

mme_factors as (
    select * from {{ ref('mme_factors') }}
),

sites_with_medications as (
    select distinct site
    from {{ ref('stg_ingest__current_files') }}
    where source = 'medications'
),

daily_mme as (
    select
        prescriptions.*,
        case
            when prescriptions.is_convertible
                then prescriptions.dose * prescriptions.doses_per_day * mme_factors.factor
        end as daily_mme
    from prescriptions
    left join mme_factors
        on
            prescriptions.drug = mme_factors.drug
            and prescriptions.unit = mme_factors.unit
            and prescriptions.route = mme_factors.route
),

active as (
    select
        assessments.site,
        assessments.mrn,
        assessments.visit_code,
        sum(daily_mme.daily_mme) as total_mme,
        {{ dbt.bool_or('daily_mme.daily_mme is null') }} as has_unconvertible
    from assessments
    inner join daily_mme
        on
            assessments.site = daily_mme.site
            and assessments.mrn = daily_mme.mrn
            and assessments.assessment_date >= daily_mme.start_date
            and (daily_mme.end_date is null or assessments.assessment_date <= daily_mme.end_date)
    group by assessments.site, assessments.mrn, assessments.visit_code
),

final as (
    select
        assessments.site,
        assessments.mrn,
        assessments.visit_code,
        case
            when sites_with_medications.site is null then null
            when active.has_unconvertible then null
            else coalesce(active.total_mme, 0.0)
        end as mme
    from assessments
    left join active using (site, mrn, visit_code)
    left join sites_with_medications using (site)
)

select * from final
