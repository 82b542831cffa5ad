{{ config(severity='warn') }}
-- Assessments dated after a later visit of the same patient: one row per such assessment and
-- later visit, with the days between them. A warning: the dates stand as the clinic sent them.
with assessments as (
    select * from {{ ref('int_questionnaires_scored') }}
),

out_of_order as (
    select
        assessment.site,
        assessment.mrn,
        assessment.visit_code,
        later.visit_code as later_visit,
        {{ dbt.datediff('later.assessment_date', 'assessment.assessment_date', 'day') }}
            as days_after_it
    from assessments as assessment
    inner join assessments as later
        on
            assessment.site = later.site
            and assessment.mrn = later.mrn
            and assessment.visit_order < later.visit_order
            and assessment.assessment_date > later.assessment_date
)

select * from out_of_order
