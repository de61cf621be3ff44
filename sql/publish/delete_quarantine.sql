-- the quarantine rows of every file this run ingested: the batch's own replace them
delete from published.quarantine
where source_file in (select source_file from staging.files)
