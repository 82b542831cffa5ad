-- Every published questionnaire answer lies in its item's valid set, read from the same
-- codebook seed the pandera schemas check the exports with (one source of truth).
with items as (
    select * from {{ ref('questionnaire_items') }}
),

codebook as (
    select * from {{ ref('questionnaire_codebook') }}
)

select items.*
from items
left join codebook using (item)
where codebook.item is null
    or items.response < codebook.min_value
    or items.response > codebook.max_value
