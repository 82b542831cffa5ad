-- How every patient row of the current patients snapshots is accounted for, per site and for
-- all sites: received, rejected at ingestion (by rule), identical copies, patients, excluded
-- from the analysis (by reason), in the analysis, and per treatment group.
with current_files as (
    select * from {{ ref('stg_ingest__current_files') }} where source = 'patients'
),

issues as (
    select * from {{ ref('stg_ingest__load_issues') }} where source = 'patients'
),

patients as (
    select * from {{ ref('int_patients_grouped') }}
),

received as (
    select site, sum(rows_read) as received
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
    select site, count(*) as identical_copies
    from issues
    where rule = 'duplicate_identical'
    group by site
),

patient_counts as (
    select site, count(*) as patients, count(case when in_analysis then 1 end) as in_analysis
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

flow as (
    select
        site, 1 as step, 'received' as stage, cast(null as {{ dbt.type_string() }}) as reason,
        received as n
    from totals
    union all
    select site, 2, 'rejected_at_ingestion', rule, count(distinct row_number)
    from issues where severity = 'rejected_row' group by site, rule
    union all
    select site, 3, 'rejected_rows', null, rejected_rows from totals
    union all
    select site, 4, 'identical_copies', null, identical_copies from totals
    union all
    select site, 5, 'patients', null, patients from totals
    union all
    select site, 6, 'excluded', exclusion_reason, count(*)
    from patients where not in_analysis group by site, exclusion_reason
    union all
    select site, 7, 'in_analysis', null, in_analysis from totals
    union all
    select site, 8, 'group', group_code, count(*)
    from patients where in_analysis group by site, group_code
),

all_sites as (
    select 'ALL' as site, step, stage, reason, sum(n) as n
    from flow group by step, stage, reason
),

final as (
    select
        site, cast(step as {{ dbt.type_int() }}) as step, stage, reason,
        cast(n as {{ dbt.type_int() }}) as n
    from flow
    union all
    select
        site, cast(step as {{ dbt.type_int() }}), stage, reason, cast(n as {{ dbt.type_int() }})
    from all_sites
)

select * from final
