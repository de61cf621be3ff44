-- articles that failed a check (registered as failed: article_id, reason, detail) into the
-- staging quarantine, with the text they were read from
insert into staging.quarantine
select
    documents.source_file,
    documents.item,
    documents.article_id,
    documents.version,
    'validate' as step,
    failed.reason,
    failed.detail,
    documents.content as original_text
from failed
join staging.documents as documents using (article_id)
