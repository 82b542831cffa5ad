-- One row per accepted patient: index date, first USGDN, derived treatment group and the
-- patient descriptors of the `patients` mart (docs/scoring.md#9-treatment-groups,
-- docs/scoring.md#10-baseline-and-change).
with patients as (
    select * from {{ ref('stg_ingest__patients') }}
),

coded_procedures as (
    select * from {{ ref('stg_ingest__procedures') }}
),

procedure_codes as (
    select * from {{ ref('procedure_codes') }}
),

-- each code is known (the relationships test of stg_ingest__procedures), so none is dropped
procedures as (
    select
        coded_procedures.*,
        procedure_codes.is_neural_intervention
    from coded_procedures
    inner join procedure_codes using (procedure_code)
),

index_dates as (
    select
        site,
        mrn,
        min(procedure_date) as index_date
    from procedures
    group by site, mrn
),

usgdn_courses as (
    select
        site,
        mrn,
        min(procedure_date) as first_usgdn_date,
        count(*) as usgdn_sessions
    from procedures
    where procedure_code = 'usgdn'
    group by site, mrn
),

-- NI before the first USGDN; every NI when the patient had no USGDN
neural_interventions as (
    select
        procedures.site,
        procedures.mrn,
        {{ string_agg_distinct_sorted('procedures.procedure_code', ',') }} as ni_types
    from procedures
    left join usgdn_courses using (site, mrn)
    where
        procedures.is_neural_intervention
        and (
            usgdn_courses.first_usgdn_date is null
            or procedures.procedure_date < usgdn_courses.first_usgdn_date
        )
    group by procedures.site, procedures.mrn
),

grouped as (
    select
        patients.*,
        index_dates.index_date,
        usgdn_courses.first_usgdn_date,
        neural_interventions.ni_types,
        coalesce(usgdn_courses.usgdn_sessions, 0) as usgdn_sessions,
        case
            when usgdn_courses.first_usgdn_date is null then null
            when neural_interventions.ni_types is not null then 'NI_USGDN'
            else 'USGDN_ONLY'
        end as group_code
    from patients
    left join index_dates using (site, mrn)
    left join usgdn_courses using (site, mrn)
    left join neural_interventions using (site, mrn)
),

final as (
    select
        *,
        group_code is not null as in_analysis,
        -- why a patient is outside the analysis population (null when inside)
        case
            when group_code is not null then null
            when index_date is null then 'no_procedures'
            else 'no_usgdn'
        end as exclusion_reason,
        -- completed years, birthday-aware, 90 for older (least() would turn a null into 90)
        cast(case
            when index_date is not null then least(
                90,
                year(index_date) - year(date_of_birth)
                - case
                    when
                        month(index_date) * 100 + day(index_date)
                        < month(date_of_birth) * 100 + day(date_of_birth) then 1
                    else 0
                end
            )
        end as {{ dbt.type_int() }}) as age_at_index,
        -- divided as doubles (an integer by a decimal would be a decimal on Spark)
        cast(floor(
            cast({{ dbt.datediff('mastectomy_date', 'index_date', 'day') }} as double)  -- noqa: LT05
            / 30.4375
        ) as {{ dbt.type_int() }}) as months_since_mastectomy
    from grouped
)

select * from final
