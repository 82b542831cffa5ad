-- One row per accepted assessment, with its visit order and each instrument scored from its
-- items (INSTRUMENTS.md, Parameters). Scores are unrounded. The items are the codebook seed's.
-- depends_on: {{ ref('questionnaire_codebook') }}
{%- set nrs_item = codebook_items('NRS') | first %}
{%- set pd_answers = codebook_items('PAINDETECT') %}
{%- set pd_summed = pd_answers | reject('in', ['pd_pattern', 'pd_radiating']) | list %}
{%- set dash_items = codebook_items('DASH') %}
{%- set phq9_items = codebook_items('PHQ9') %}
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

visits as (
    select * from {{ ref('visits') }}
),

pattern_scores as (
    select * from {{ ref('paindetect_pattern_scores') }}
),

-- each visit code is known (the relationships test of stg_ingest__questionnaires)
answered as (
    select
        questionnaires.*,
        visits.visit_order,
        pattern_scores.pattern_score,
        list_filter([{{ dash_items | join(', ') }}], lambda x: x is not null) as dash_answers,
        list_filter([{{ phq9_items | join(', ') }}], lambda x: x is not null) as phq9_answers
    from questionnaires
    inner join visits using (visit_code)
    left join pattern_scores using (pd_pattern)
),

scored as (
    select
        *,
        {{ nrs_item }}::double as nrs_score,
        case
            when {% for item in pd_answers %}{{ item }} is not null{{ ' and ' if not loop.last }}{% endfor %}
            then ({{ pd_summed | join(' + ') }} + pattern_score + 2 * pd_radiating)::double
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
