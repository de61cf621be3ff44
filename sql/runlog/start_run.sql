insert into audit.runs (run_id, started_at, status, input_dir, pid)
values ($run_id, now(), 'running', $input_dir, $pid)
