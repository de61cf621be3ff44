-- the replaced articles' rows out of published.{table}
delete from published.{table}
where article_id in (select article_id from replaced)
