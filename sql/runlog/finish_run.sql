-- how a run ended, with its counts and any failed expectations
update audit.runs
set
    status = $status,
    finished_at = now(),
    files_seen = $files_seen,
    files_unchanged = $files_unchanged,
    files_ingested = $files_ingested,
    articles_read = $articles_read,
    published = $published,
    duplicates = $duplicates,
    quarantined = $quarantined,
    removed_spans = $removed_spans,
    quarantine_by_reason = $quarantine_by_reason,
    removals_by_reason = $removals_by_reason,
    failed_expectations = $failed_expectations,
    stage_seconds = $stage_seconds
where run_id = $run_id
