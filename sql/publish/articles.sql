insert into published.articles
select * from audit.articles
