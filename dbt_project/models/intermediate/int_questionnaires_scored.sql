-- One row per accepted assessment, with its visit order and each instrument scored from its
-- items (docs/scoring.md#2-parameters). Scores are unrounded. The items are the codebook seed's.
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
        {{ count_not_null(dash_items) }} as dash_answered,
        {{ sum_not_null(dash_items) }} as dash_sum,
        {{ count_not_null(phq9_items) }} as phq9_answered,
        {{ sum_not_null(phq9_items) }} as phq9_sum
    from questionnaires
    inner join visits using (visit_code)
    left join pattern_scores using (pd_pattern)
),

scored as (
    select
        *,
        cast({{ nrs_item }} as double) as nrs_score,
        case
            when {% for item in pd_answers %}{{ item }} is not null{{ ' and ' if not loop.last }}{% endfor %}
            then cast({{ pd_summed | join(' + ') }} + pattern_score + 2 * pd_radiating as double)
        end as paindetect_score,
        -- an integer divided by an integer is a double on both engines
        case
            when dash_answered >= 27 then (dash_sum / dash_answered - 1) * 25.0
        end as dash_score_computed,
        case
            when phq9_answered = 9 then cast(phq9_sum as double)
            when phq9_answered in (7, 8) then cast(phq9_sum as double) * 9 / phq9_answered
        end as phq9_score,
        phq9_answered in (7, 8) as phq9_is_prorated
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
