-- A run never has more cells answered than planned, and a complete run has no status
-- without a finish time (status and timing come from the same latest slice events).
select *
from {{ ref('runs') }}
where cells_answered > cells_planned
   or (status in ('complete', 'failed') and finished_at is null)
   or (status = 'running' and finished_at is not null)
