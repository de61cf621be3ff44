-- a batch's articles (registered as batch_rows), their seq counted on from $first_seq
insert into staging.articles by name
select * replace (seq + $first_seq as seq)
from batch_rows
