-- Every data issue of this load: those found at ingest and those only derived values reveal.
with ingest_issues as (
    select * from {{ ref('stg_ingest__load_issues') }}
),

derived_issues as (
    select * from {{ ref('int_derived_issues') }}
),

final as (
    select
        file_name, source, site, row_number, {{ adapter.quote('column') }}, value, rule, severity,
        message
    from ingest_issues
    union all
    select
        file_name, source, site, row_number, {{ adapter.quote('column') }}, value, rule, severity,
        message
    from derived_issues
)

select * from final
