with source as (
    select * from {{ source('ingest', 'patients') }}
),

final as (
    select
        site,
        mrn,
        file_name,
        row_number,
        first_name,
        last_name,
        date_of_birth,
        sex,
        mastectomy_date,
        mastectomy_side,
        treatment_group
    from source
)

select * from final
