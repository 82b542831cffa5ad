with source as (
    select * from {{ source('ingest', 'medications') }}
),

final as (
    select
        site,
        mrn,
        file_name,
        row_number,
        drug,
        dose,
        unit,
        doses_per_day,
        start_date,
        end_date,
        route,
        is_convertible
    from source
)

select * from final
