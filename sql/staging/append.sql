-- a batch's rows of one staging table (registered as batch_rows)
insert into staging.{table} by name
select * from batch_rows
