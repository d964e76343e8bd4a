//! Stored prompts and completions (organizations that opted in, see `accounts::privacy`):
//! the record the usage writer stores with a generation, capped per body, and the
//! organization-scoped reads and deletions. Bodies never reach a log line: the record's
//! `Debug` shows sizes only (`record::Content`), and nothing here logs.

use chrono::{DateTime, Utc};
use entity::generation_content;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::record::Content;
use crate::accounts::tenant::OrgScope;

/// `bytes` as text of at most `cap` bytes, cut at a character boundary; `true` when cut.
/// Bodies are UTF-8 (the JSON the request was parsed from, or the JSON the response
/// serialized to); anything else is replaced, never refused.
pub fn capped(bytes: &[u8], cap: usize) -> (String, bool) {
    if bytes.len() <= cap {
        return (String::from_utf8_lossy(bytes).into_owned(), false);
    }
    let mut end = cap;
    // Back off to the start of a UTF-8 sequence (continuation bytes are 0b10xx_xxxx).
    while end > 0 && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), true)
}

/// A generation's content record: each body capped at `cap` bytes, `response_cut` when the
/// response was already cut while it streamed.
pub fn record(
    generation_id: &str,
    org_id: &str,
    created_at: DateTime<Utc>,
    request: Option<&[u8]>,
    response: Option<(&[u8], bool)>,
    cap: usize,
) -> Content {
    let request = request.map(|body| capped(body, cap));
    let response = response.map(|(body, cut)| {
        let (text, capped) = capped(body, cap);
        (text, capped || cut)
    });
    Content(generation_content::Model {
        generation_id: generation_id.to_owned(),
        org_id: org_id.to_owned(),
        request_truncated: request.as_ref().is_some_and(|(_, cut)| *cut),
        response_truncated: response.as_ref().is_some_and(|(_, cut)| *cut),
        request_body: request.map(|(text, _)| text),
        response_body: response.map(|(text, _)| text),
        created_at,
    })
}

/// One generation's stored content, within the caller's organization.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    generation_id: &str,
) -> Result<Option<generation_content::Model>, DbErr> {
    generation_content::Entity::find_by_id(generation_id.to_owned())
        .filter(generation_content::Column::OrgId.eq(scope.org_id()))
        .one(db)
        .await
}

/// Whether a generation of the caller's organization has stored content (reads the key only).
pub async fn exists(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    generation_id: &str,
) -> Result<bool, DbErr> {
    let found = generation_content::Entity::find_by_id(generation_id.to_owned())
        .filter(generation_content::Column::OrgId.eq(scope.org_id()))
        .select_only()
        .column(generation_content::Column::GenerationId)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Deletes one generation's content; `false` when the organization has none under that id.
pub async fn delete(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    generation_id: &str,
) -> Result<bool, DbErr> {
    let deleted = generation_content::Entity::delete_many()
        .filter(generation_content::Column::GenerationId.eq(generation_id))
        .filter(generation_content::Column::OrgId.eq(scope.org_id()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Deletes all of the organization's stored content; returns how many generations had some.
pub async fn delete_all(db: &impl ConnectionTrait, scope: &OrgScope) -> Result<u64, DbErr> {
    let deleted = generation_content::Entity::delete_many()
        .filter(generation_content::Column::OrgId.eq(scope.org_id()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Retention: deletes up to `chunk` contents created before `cutoff`; returns how many.
pub async fn delete_chunk(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    chunk: u64,
) -> Result<u64, DbErr> {
    let oldest = Query::select()
        .column(generation_content::Column::GenerationId)
        .from(generation_content::Entity)
        .and_where(generation_content::Column::CreatedAt.lt(cutoff))
        .limit(chunk)
        .to_owned();
    let deleted = generation_content::Entity::delete_many()
        .filter(generation_content::Column::GenerationId.in_subquery(oldest))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_at_the_cap_on_a_character_boundary() {
        assert_eq!(capped(b"hello", 5), ("hello".to_owned(), false));
        assert_eq!(capped(b"hello", 4), ("hell".to_owned(), true));
        // "é" is two bytes: a cap inside it keeps neither byte.
        let text = "aé".as_bytes();
        assert_eq!(capped(text, 2), ("a".to_owned(), true));
        assert_eq!(capped(text, 3), ("aé".to_owned(), false));
        assert_eq!(capped(b"abc", 0), (String::new(), true));
    }

    #[test]
    fn a_record_flags_each_body_it_cut() {
        let at = Utc::now();
        let c = record("g", "o", at, Some(b"0123456789"), Some((b"ok", false)), 4).0;
        assert_eq!(c.request_body.as_deref(), Some("0123"));
        assert!(c.request_truncated);
        assert_eq!(c.response_body.as_deref(), Some("ok"));
        assert!(!c.response_truncated);
        // Cut while streaming, though short enough now.
        let c = record("g", "o", at, None, Some((b"ok", true)), 4).0;
        assert!(c.response_truncated && c.request_body.is_none() && !c.request_truncated);
    }
}
