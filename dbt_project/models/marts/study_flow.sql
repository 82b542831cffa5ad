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

-- one row per site and stage that every flow has, with its count (0 when nothing)
totals as (
    select
        current_files.site,
        sum(current_files.rows_read) as received,
        (select count(distinct issues.file_name || ':' || issues.row_number) from issues
         where issues.site = current_files.site and issues.severity = 'rejected_row')
            as rejected_rows,
        (select count(*) from issues where issues.site = current_files.site
         and issues.rule = 'duplicate_identical') as identical_copies,
        (select count(*) from patients where patients.site = current_files.site) as patients,
        (select count(*) from patients where patients.site = current_files.site
         and patients.in_analysis) as in_analysis
    from current_files
    group by current_files.site
),

flow as (
    select site, 1 as step, 'received' as stage, null as reason, received as n from totals
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
    select site, step::integer as step, stage, reason, n::integer as n from flow
    union all
    select site, step::integer, stage, reason, n::integer from all_sites
)

select * from final
