-- band keys of the published paragraph texts
insert into published.paragraph_bands
select * from staging.paragraph_bands
where paragraph_hash in (select paragraph_hash from audit.paragraphs)
