with source as (
    select * from {{ source('ingest', 'patient_keys') }}
),

final as (
    select
        site,
        mrn,
        patient_key
    from source
)

select * from final
