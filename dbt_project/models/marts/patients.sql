with patients as (
    select * from {{ ref('int_patients_grouped') }}
),

patient_keys as (
    select * from {{ ref('stg_ingest__patient_keys') }}
),

final as (
    select
        patient_keys.patient_key,
        patients.site,
        patients.mrn,
        patients.group_code,
        patients.in_analysis,
        patients.exclusion_reason,
        patients.age_at_index,
        patients.sex,
        patients.mastectomy_side,
        patients.months_since_mastectomy,
        patients.ni_types,
        cast(patients.usgdn_sessions as {{ dbt.type_int() }}) as usgdn_sessions
    from patients
    inner join patient_keys using (site, mrn)
)

select * from final
