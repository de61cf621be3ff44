-- the failed articles' rows out of staging.{table}
delete from staging.{table}
where article_id in (select article_id from failed)
