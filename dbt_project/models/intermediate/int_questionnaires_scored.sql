-- One row per accepted assessment, with its visit order and each instrument scored from its
-- answered items (docs/scoring.md#2-parameters). Scores are unrounded. Which items belong to
-- which instrument is the codebook seed's (int_questionnaire_answers).
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

answers as (
    select * from {{ ref('int_questionnaire_answers') }}
),

visits as (
    select * from {{ ref('visits') }}
),

pattern_scores as (
    select * from {{ ref('paindetect_pattern_scores') }}
),

codebook as (
    select * from {{ ref('questionnaire_codebook') }}
),

-- painDETECT: the pain-course pattern item scores by the pattern seed, the radiating item
-- doubles, every other item counts as answered
answer_points as (
    select
        answers.site,
        answers.file_name,
        answers.row_number,
        answers.param_code,
        answers.item,
        answers.response,
        case
            when answers.item = 'pd_pattern' then pattern_scores.pattern_score
            when answers.item = 'pd_radiating' then 2 * answers.response
            else answers.response
        end as points
    from answers
    left join pattern_scores
        on answers.item = 'pd_pattern' and answers.response = pattern_scores.pd_pattern
),

-- how many items each instrument has: painDETECT is scored with every item answered, DASH
-- with at most three missing, PHQ-9 prorated with one or two missing
codebook_items as (
    select
        count(case when param_code = 'PAINDETECT' then 1 end) as paindetect_items,
        count(case when param_code = 'DASH' then 1 end) as dash_items,
        count(case when param_code = 'PHQ9' then 1 end) as phq9_items
    from codebook
    where kind = 'item'
),

-- per assessment (a row of its file): each instrument's answered items and their sum
item_totals as (
    select
        site,
        file_name,
        row_number,
        max(case when param_code = 'NRS' then response end) as nrs_answer,
        count(case when param_code = 'PAINDETECT' then points end) as paindetect_answered,
        sum(case when param_code = 'PAINDETECT' then points end) as paindetect_sum,
        count(case when param_code = 'DASH' then response end) as dash_answered,
        sum(case when param_code = 'DASH' then response end) as dash_sum,
        count(case when param_code = 'PHQ9' then response end) as phq9_answered,
        sum(case when param_code = 'PHQ9' then response end) as phq9_sum,
        max(case when item = 'phq9_9' then response end) as phq9_9
    from answer_points
    group by site, file_name, row_number
),

-- each visit code is known (the relationships test of stg_ingest__questionnaires); an
-- assessment without an answered item has no item totals
answered as (
    select
        questionnaires.site,
        questionnaires.mrn,
        questionnaires.file_name,
        questionnaires.row_number,
        questionnaires.visit_code,
        questionnaires.assessment_date,
        questionnaires.pd_total,
        questionnaires.dash_score,
        questionnaires.phq9_total,
        questionnaires.pd_total_text,
        questionnaires.dash_score_text,
        questionnaires.phq9_total_text,
        visits.visit_order,
        item_totals.nrs_answer,
        item_totals.paindetect_sum,
        item_totals.phq9_9,
        coalesce(item_totals.paindetect_answered, 0) as paindetect_answered,
        coalesce(item_totals.dash_answered, 0) as dash_answered,
        coalesce(item_totals.dash_sum, 0) as dash_sum,
        coalesce(item_totals.phq9_answered, 0) as phq9_answered,
        coalesce(item_totals.phq9_sum, 0) as phq9_sum
    from questionnaires
    inner join visits on questionnaires.visit_code = visits.visit_code
    left join item_totals
        on
            questionnaires.site = item_totals.site
            and questionnaires.file_name = item_totals.file_name
            and questionnaires.row_number = item_totals.row_number
),

scored as (
    select
        answered.*,
        cast(answered.nrs_answer as double) as nrs_score,
        case
            when answered.paindetect_answered = codebook_items.paindetect_items
                then cast(answered.paindetect_sum as double)
        end as paindetect_score,
        -- an integer divided by an integer is a double on both engines
        case
            when answered.dash_answered >= codebook_items.dash_items - 3
                then (answered.dash_sum / answered.dash_answered - 1) * 25.0
        end as dash_score_computed,
        case
            when answered.phq9_answered = codebook_items.phq9_items
                then cast(answered.phq9_sum as double)
            when answered.phq9_answered >= codebook_items.phq9_items - 2
                then
                    cast(answered.phq9_sum as double) * codebook_items.phq9_items
                    / answered.phq9_answered
        end as phq9_score,
        answered.phq9_answered between codebook_items.phq9_items - 2
        and codebook_items.phq9_items - 1 as phq9_is_prorated
    from answered
    cross join codebook_items
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
