{{ config(meta={'dagster': {'ref': {'name': 'int_questionnaire_answers'}}}) }}
-- Every accepted questionnaire answer lies in its item's valid set, read from the same
-- codebook seed the pandera schemas check the exports with (one source of truth).
with answers as (
    select * from {{ ref('int_questionnaire_answers') }}
),

codebook as (
    select * from {{ ref('questionnaire_codebook') }}
    where kind = 'item'
)

select
    answers.site,
    answers.mrn,
    answers.visit_code,
    answers.item,
    answers.response
from answers
inner join codebook on answers.item = codebook.item
where answers.response not between codebook.min_value and codebook.max_value
