with source as (
    select * from {{ source('ingest', 'procedures') }}
),

procedure_codes as (
    select * from {{ ref('procedure_codes') }}
),

final as (
    select
        source.site,
        source.mrn,
        source.file_name,
        source.row_number,
        source.procedure_date,
        source.procedure_code,
        procedure_codes.is_neural_intervention
    from source
    inner join procedure_codes using (procedure_code)
)

select * from final
