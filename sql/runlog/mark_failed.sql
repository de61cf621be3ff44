-- a run that stopped on an error before it could publish or be blocked
update audit.runs
set status = 'failed', finished_at = now(), error = $error
where run_id = $run_id and status = 'running'
