-- after a quarantine, the staged articles whose mart rows change: another canonical copy, or
-- another first carrier of one of their paragraphs, than the intermediates the marts were
-- built from (kept as audit.*_built); joins, which DuckDB spills to disk at a million articles
create or replace temp table changed_articles as
select now.article_id
from audit.int_article_duplicates as now
join audit.int_article_duplicates_built as built using (article_id)
where now.duplicate_of is distinct from built.duplicate_of
union
select now.article_id
from audit.int_paragraph_first_seen as now
join audit.int_paragraph_first_seen_built as built using (article_id, position)
where now.first_article_id <> built.first_article_id
