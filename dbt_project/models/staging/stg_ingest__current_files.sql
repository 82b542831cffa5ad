with source as (
    select * from {{ source('ingest', 'current_files') }}
),

final as (
    select
        source,
        site,
        file_name,
        export_date,
        sha256,
        rows_read,
        rows_loaded,
        rows_rejected
    from source
)

select * from final
