with patients as (
    select * from {{ ref('int_patients_grouped') }}
),

final as (
    select
        site,
        mrn,
        group_code,
        in_analysis,
        age_at_index,
        sex,
        mastectomy_side,
        months_since_mastectomy,
        ni_types,
        usgdn_sessions::integer as usgdn_sessions
    from patients
)

select * from final
