with source as (
    select * from {{ source('ingest', 'procedures') }}
),

final as (
    select
        site,
        mrn,
        file_name,
        row_number,
        procedure_date,
        procedure_code
    from source
)

select * from final
