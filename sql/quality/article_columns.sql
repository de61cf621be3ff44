-- the columns of the audit batch of articles: the only names validation puts into its SQL
with columns as (
    select column_name, data_type, column_index
    from duckdb_columns()
    where schema_name = 'audit' and table_name = 'articles' and database_name = current_database()
)

select column_name, data_type from columns order by column_index
