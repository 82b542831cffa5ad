-- Every column of the accepted assessments: the keys, the assessment date, each
-- questionnaire item (typed at ingest against the codebook seed) and the clinic's totals with
-- their text as exported.
with source as (
    select * from {{ source('ingest', 'questionnaires') }}
),

final as (
    select * from source
)

select * from final
