-- One row per answered, valid questionnaire item (invalid answers were set aside at ingest),
-- with the patient's pseudonym in place of the site's mrn.
with answers as (
    select * from {{ ref('int_questionnaire_answers') }}
),

patient_keys as (
    select * from {{ ref('stg_ingest__patient_keys') }}
),

final as (
    select
        patient_keys.patient_key,
        answers.site,
        answers.mrn,
        answers.visit_code,
        answers.param_code,
        answers.item,
        answers.response
    from answers
    inner join patient_keys
        on
            answers.site = patient_keys.site
            and answers.mrn = patient_keys.mrn
)

select * from final
