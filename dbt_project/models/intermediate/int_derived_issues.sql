-- The data issues that only derived values reveal: a clinic total that disagrees with the
-- computed score (total_mismatch), and a treatment_group that disagrees with the group
-- derived from procedures (group_mismatch). Both are warnings (docs/rules.md#1-data-issues).
with scored as (
    select * from {{ ref('int_questionnaires_scored') }}
),

patients as (
    select * from {{ ref('int_patients_grouped') }}
),

totals as (
    select file_name, site, row_number, 'pd_total' as {{ adapter.quote('column') }},
        clinic_pd_total as clinic_total,
        clinic_pd_total_text as clinic_total_text, paindetect_score as computed_score
    from scored
    union all
    select file_name, site, row_number, 'dash_score', clinic_dash_score, clinic_dash_score_text,
        dash_score
    from scored
    union all
    select file_name, site, row_number, 'phq9_total', clinic_phq9_total, clinic_phq9_total_text,
        phq9_score
    from scored
),

total_mismatches as (
    select
        file_name,
        'questionnaires' as source,
        site,
        row_number,
        {{ adapter.quote('column') }},
        clinic_total_text as value,
        'total_mismatch' as rule,
        'clinic total ' || cast(clinic_total as {{ dbt.type_string() }})
            || ' differs from the computed score '
            || cast(round(computed_score, 4) as {{ dbt.type_string() }}) as message
    from totals
    -- rounded to 9 decimals so that a difference of exactly 0.05 is not one by float noise
    where round(abs(clinic_total - computed_score), 9) > 0.05
),

group_mismatches as (
    select
        file_name,
        'patients' as source,
        site,
        row_number,
        'treatment_group' as {{ adapter.quote('column') }},
        cast(treatment_group as {{ dbt.type_string() }}) as value,
        'group_mismatch' as rule,
        'treatment_group ' || cast(treatment_group as {{ dbt.type_string() }})
            || ' but procedures give '
            || coalesce(group_code, 'no group (no USGDN)') as message
    from patients
    where treatment_group is not null
        and treatment_group is distinct from
            case group_code when 'NI_USGDN' then 1 when 'USGDN_ONLY' then 2 end
),

final as (
    select
        file_name, source, site, cast(row_number as {{ dbt.type_int() }}) as row_number,
        {{ adapter.quote('column') }}, value, rule, 'warning' as severity, message
    from (
        select * from total_mismatches
        union all
        select * from group_mismatches
    ) as issues
)

select * from final
