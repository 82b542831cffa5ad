-- One row per accepted assessment, with each instrument scored from its items
-- (INSTRUMENTS.md, Parameters). Scores are unrounded.
{%- set pd_items = ['pd_1', 'pd_2', 'pd_3', 'pd_4', 'pd_5', 'pd_6', 'pd_7'] %}
{%- set dash_items = [] %}{% for i in range(1, 31) %}{% do dash_items.append('dash_' ~ i) %}{% endfor %}
{%- set phq9_items = [] %}{% for i in range(1, 10) %}{% do phq9_items.append('phq9_' ~ i) %}{% endfor %}
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

pattern_scores as (
    select * from {{ ref('paindetect_pattern_scores') }}
),

answered as (
    select
        questionnaires.*,
        pattern_scores.pattern_score,
        list_filter([{{ dash_items | join(', ') }}], lambda x: x is not null) as dash_answers,
        list_filter([{{ phq9_items | join(', ') }}], lambda x: x is not null) as phq9_answers
    from questionnaires
    left join pattern_scores using (pd_pattern)
),

scored as (
    select
        *,
        nrs::double as nrs_score,
        case
            when {% for item in pd_items %}{{ item }} is not null and {% endfor %}pd_pattern is not null
                and pd_radiating is not null
            then ({{ pd_items | join(' + ') }} + pattern_score + 2 * pd_radiating)::double
        end as paindetect_score,
        case
            when len(dash_answers) >= 27
            then (list_sum(dash_answers) / len(dash_answers) - 1) * 25.0
        end as dash_score_computed,
        case
            when len(phq9_answers) = 9 then list_sum(phq9_answers)::double
            when len(phq9_answers) in (7, 8) then list_sum(phq9_answers) * 9.0 / len(phq9_answers)
        end as phq9_score,
        len(phq9_answers) in (7, 8) as phq9_is_prorated
    from answered
),

final as (
    select
        site,
        mrn,
        file_name,
        row_number,
        visit_code,
        visit_order,
        assessment_date,
        nrs_score,
        paindetect_score,
        dash_score_computed as dash_score,
        phq9_score,
        phq9_is_prorated,
        phq9_9,
        pd_total as clinic_pd_total,
        dash_score as clinic_dash_score,
        phq9_total as clinic_phq9_total,
        pd_total_text as clinic_pd_total_text,
        dash_score_text as clinic_dash_score_text,
        phq9_total_text as clinic_phq9_total_text
    from scored
)

select * from final
