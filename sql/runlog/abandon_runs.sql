-- runs left "running" by a process that is gone (killed, or its machine stopped): the run
-- that now holds the warehouse marks them, so the history never shows them running for ever
update audit.runs
set status = 'abandoned', finished_at = coalesce(finished_at, now())
where status = 'running'
returning run_id
