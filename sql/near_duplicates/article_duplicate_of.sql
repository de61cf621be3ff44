-- the canonical copy each article repeats (null for a canonical)
alter table audit.article_matches add column duplicate_of varchar;
update audit.article_matches
set duplicate_of = if(relation = 'canonical', null, cluster_id);
