-- the published articles of every file this run ingested: the batch replaces them
create or replace temp table replaced as
select article_id
from published.articles
where source_file in (select source_file from staging.files)
