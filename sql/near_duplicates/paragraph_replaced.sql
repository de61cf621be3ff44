-- a paragraph text stays published when a file is read again (other articles carry it, or the
-- new version does): none of the paragraph index is replaced
select paragraph_hash
from published.paragraph_bands
where false
