-- One row per assessment and parameter with a value, with its category and flags: the five
-- scores unpivoted (a missing score gives no row), each banded by the score_categories seed.
with scored as (
    select * from {{ ref('int_questionnaires_scored') }}
),

mme as (
    select * from {{ ref('int_assessments_mme') }}
),

score_categories as (
    select * from {{ ref('score_categories') }}
),

assessments as (
    select
        scored.site,
        scored.mrn,
        scored.visit_code,
        scored.visit_order,
        scored.assessment_date,
        scored.phq9_is_prorated,
        scored.phq9_9,
        scored.nrs_score,
        scored.paindetect_score,
        scored.dash_score,
        scored.phq9_score,
        mme.mme
    from scored
    left join mme using (site, mrn, visit_code)
),

-- the SQL-standard form, which leaves out null values; each alias is the param_code
unpivoted as (
    select *
    from assessments
    unpivot (
        value for param_code in (
            -- the aliases are the parameter codes, upper case as the seed writes them
            nrs_score as NRS, paindetect_score as PAINDETECT, dash_score as DASH,  -- noqa: CP02
            phq9_score as PHQ9, mme as MME  -- noqa: CP02
        )
    )
),

final as (
    select
        unpivoted.site,
        unpivoted.mrn,
        unpivoted.visit_code,
        unpivoted.visit_order,
        unpivoted.assessment_date,
        unpivoted.param_code,
        unpivoted.value,
        score_categories.category,
        unpivoted.param_code = 'PHQ9' and unpivoted.phq9_is_prorated as is_prorated,
        case when unpivoted.param_code = 'PHQ9' then unpivoted.phq9_9 >= 1 end
            as phq9_item9_positive
    from unpivoted
    left join score_categories
        on
            unpivoted.param_code = score_categories.param_code
            and floor(unpivoted.value + 0.5) between score_categories.min_score
            and score_categories.max_score
)

select * from final
