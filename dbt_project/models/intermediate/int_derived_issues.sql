-- The data issues that only derived values reveal: a clinic total that disagrees with the
-- computed score (total_mismatch), and a treatment_group that disagrees with the group
-- derived from procedures (group_mismatch). Their severity is the data_issue_rules seed's
-- (docs/rules.md#1-data-issues).
with scored as (
    select * from {{ ref('int_questionnaires_scored') }}
),

patients as (
    select * from {{ ref('int_patients_grouped') }}
),

rules as (
    select * from {{ ref('data_issue_rules') }}
),

-- a patients row's treatment_group is the number of its group: the group's display order
study_groups as (
    select * from {{ ref('code_lists') }}
    where list_name = 'group_code'
),

-- each clinic total beside the score computed from the items
pd_totals as (
    select
        file_name,
        site,
        row_number,
        'pd_total' as total_column,
        clinic_pd_total as clinic_total,
        clinic_pd_total_text as clinic_total_text,
        paindetect_score as computed_score
    from scored
),

dash_totals as (
    select
        file_name,
        site,
        row_number,
        'dash_score' as total_column,
        clinic_dash_score as clinic_total,
        clinic_dash_score_text as clinic_total_text,
        dash_score as computed_score
    from scored
),

phq9_totals as (
    select
        file_name,
        site,
        row_number,
        'phq9_total' as total_column,
        clinic_phq9_total as clinic_total,
        clinic_phq9_total_text as clinic_total_text,
        phq9_score as computed_score
    from scored
),

totals as (
    select * from pd_totals
    union all
    select * from dash_totals
    union all
    select * from phq9_totals
),

total_mismatches as (
    select
        file_name,
        'questionnaires' as source,
        site,
        row_number,
        total_column as issue_column,
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
        patients.file_name,
        'patients' as source,
        patients.site,
        patients.row_number,
        'treatment_group' as issue_column,
        cast(patients.treatment_group as {{ dbt.type_string() }}) as value,
        'group_mismatch' as rule,
        'treatment_group ' || cast(patients.treatment_group as {{ dbt.type_string() }})
        || ' but procedures give '
        || coalesce(patients.group_code, 'no group (no USGDN)') as message
    from patients
    left join study_groups on patients.group_code = study_groups.code
    where
        patients.treatment_group is not null
        and patients.treatment_group is distinct from study_groups.display_order
),

issues as (
    select * from total_mismatches
    union all
    select * from group_mismatches
),

final as (
    select
        issues.file_name,
        issues.source,
        issues.site,
        cast(issues.row_number as {{ dbt.type_int() }}) as row_number,
        issues.issue_column as {{ adapter.quote('column') }},
        issues.value,
        issues.rule,
        rules.severity,
        issues.message
    -- a rule the seed lacks leaves the severity null, which load_data_issues' test catches
    from issues
    left join rules on issues.rule = rules.rule
)

select * from final
