-- band keys of the published articles, for later runs to match against
insert into published.article_bands
select * from staging.article_bands
where article_id in (select article_id from audit.articles)
