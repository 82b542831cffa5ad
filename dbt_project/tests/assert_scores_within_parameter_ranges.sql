{{ config(meta={'dagster': {'ref': {'name': 'outcomes'}}}) }}
-- Every outcome value lies within its parameter's score range (parameters seed).
with outcomes as (
    select * from {{ ref('outcomes') }}
),

parameters as (
    select * from {{ ref('parameters') }}
)

select outcomes.*
from outcomes
inner join parameters using (param_code)
where
    outcomes.value < parameters.score_min
    or (parameters.score_max is not null and outcomes.value > parameters.score_max)
