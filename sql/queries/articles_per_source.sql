-- published articles per source and language: originals and whole-body duplicates counted apart
-- one row per (source, language); text files carry no source, so they group under '(no source)'
with articles as (
    select * from published.articles
),

labelled as (
    select
        coalesce(source, '(no source)') as source,
        coalesce(language, '(unknown)') as language,
        duplicate_of is not null as is_duplicate,
        truncated,
        word_count,
        published_at
    from articles
),

per_source as (
    select
        source,
        language,
        count(*) filter (where not is_duplicate) as articles,
        count(*) filter (where is_duplicate) as duplicates,
        count(*) filter (where truncated and not is_duplicate) as truncated,
        coalesce(sum(word_count) filter (where not is_duplicate), 0)::bigint as words,
        round(avg(word_count) filter (where not is_duplicate))::integer as avg_words,
        min(published_at) as first_published_at,
        max(published_at) as last_published_at
    from labelled
    group by source, language
),

final as (
    select *
    from per_source
    order by articles desc, duplicates desc, source, language
)

select * from final
