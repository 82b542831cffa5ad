with source as (
    select * from {{ source('ingest', 'load_issues') }}
),

final as (
    select
        file_name, source, site, row_number, {{ adapter.quote('column') }}, value, rule,
        severity, message
    from source
)

select * from final
