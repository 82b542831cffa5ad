with source as (
    select * from {{ source('ingest', 'questionnaires') }}
),

visits as (
    select * from {{ ref('visits') }}
),

final as (
    select
        source.*,
        visits.visit_order
    from source
    inner join visits using (visit_code)
)

select * from final
