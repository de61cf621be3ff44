-- the published articles of every file this run read: publishing replaces them, so no new
-- article may become their copy (a quarantined new version takes its old one away too)
select article_id
from published.articles
where source_file in (select source_file from staging.files)
