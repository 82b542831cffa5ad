-- How every patient row of the current patients snapshots is accounted for, per site and for
-- all sites: received, rejected at ingestion (by rule), identical copies, patients, excluded
-- from the analysis (by reason), in the analysis, and per treatment group.
with current_files as (
    select * from {{ ref('stg_ingest__current_files') }}
    where source = 'patients'
),

issues as (
    select * from {{ ref('stg_ingest__load_issues') }}
    where source = 'patients'
),

patients as (
    select * from {{ ref('int_patients_grouped') }}
),

stages as (
    select * from {{ ref('study_flow_stages') }}
),

received as (
    select
        site,
        sum(rows_read) as received
    from current_files
    group by site
),

rejected_rows as (
    select
        site,
        count(distinct file_name || ':' || cast(row_number as {{ dbt.type_string() }}))
            as rejected_rows
    from issues
    where severity = 'rejected_row'
    group by site
),

identical_copies as (
    select
        site,
        count(*) as identical_copies
    from issues
    where rule = 'duplicate_identical'
    group by site
),

patient_counts as (
    select
        site,
        count(*) as patients,
        count(case when in_analysis then 1 end) as in_analysis
    from patients
    group by site
),

-- one row per site and stage that every flow has, with its count (0 when nothing)
totals as (
    select
        received.site,
        received.received,
        coalesce(rejected_rows.rejected_rows, 0) as rejected_rows,
        coalesce(identical_copies.identical_copies, 0) as identical_copies,
        coalesce(patient_counts.patients, 0) as patients,
        coalesce(patient_counts.in_analysis, 0) as in_analysis
    from received
    left join rejected_rows on received.site = rejected_rows.site
    left join identical_copies on received.site = identical_copies.site
    left join patient_counts on received.site = patient_counts.site
),

-- each stage's rows: a site, the stage, a reason where the stage has several, and the count;
-- the stages' order is the study_flow_stages seed's
received_stage as (
    select
        site,
        'received' as stage,
        cast(null as {{ dbt.type_string() }}) as reason,
        received as n
    from totals
),

rejected_by_rule_stage as (
    select
        site,
        'rejected_at_ingestion' as stage,
        rule as reason,
        count(distinct row_number) as n
    from issues
    where severity = 'rejected_row'
    group by site, rule
),

rejected_rows_stage as (
    select
        site,
        'rejected_rows' as stage,
        cast(null as {{ dbt.type_string() }}) as reason,
        rejected_rows as n
    from totals
),

identical_copies_stage as (
    select
        site,
        'identical_copies' as stage,
        cast(null as {{ dbt.type_string() }}) as reason,
        identical_copies as n
    from totals
),

patients_stage as (
    select
        site,
        'patients' as stage,
        cast(null as {{ dbt.type_string() }}) as reason,
        patients as n
    from totals
),

excluded_stage as (
    select
        site,
        'excluded' as stage,
        exclusion_reason as reason,
        count(*) as n
    from patients
    where not in_analysis
    group by site, exclusion_reason
),

in_analysis_stage as (
    select
        site,
        'in_analysis' as stage,
        cast(null as {{ dbt.type_string() }}) as reason,
        in_analysis as n
    from totals
),

group_stage as (
    select
        site,
        'group' as stage,
        group_code as reason,
        count(*) as n
    from patients
    where in_analysis
    group by site, group_code
),

flow as (
    select * from received_stage
    union all
    select * from rejected_by_rule_stage
    union all
    select * from rejected_rows_stage
    union all
    select * from identical_copies_stage
    union all
    select * from patients_stage
    union all
    select * from excluded_stage
    union all
    select * from in_analysis_stage
    union all
    select * from group_stage
),

all_sites as (
    select
        'ALL' as site,
        stage,
        reason,
        sum(n) as n
    from flow
    group by stage, reason
),

sites_and_all as (
    select * from flow
    union all
    select * from all_sites
),

final as (
    select
        sites_and_all.site,
        cast(stages.step as {{ dbt.type_int() }}) as step,
        sites_and_all.stage,
        sites_and_all.reason,
        cast(sites_and_all.n as {{ dbt.type_int() }}) as n
    -- a stage the seed lacks leaves the step null, which the not_null test catches
    from sites_and_all
    left join stages on sites_and_all.stage = stages.stage
)

select * from final
