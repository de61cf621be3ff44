insert into published.paragraphs
select article_id, position, paragraph_text, paragraph_hash, first_article_id, $run_id
from audit.paragraphs
