//! The organization's purchases for the dashboard (`GET /credits/purchases`): the Checkout
//! Sessions it started (`stripe_checkouts`, paid or not) and its credited auto top-ups
//! (`stripe_topup_charges`, written with their ledger entries; see [`super::auto_topup`]).
//!
//! Both sources are listed by one `UNION ALL` query ordered by `(created_at, id)` newest
//! first, so that the database alone orders the rows and evaluates the cursor: the cursor is
//! the last row's `(created_at, id)`, and the next page holds the rows strictly before it in
//! that same order (ids are unique across both sources: `cs_…` and `pi_…`).

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult, Statement};

use crate::accounts::tenant::OrgScope;
use crate::billing::money::Nanos;

/// Where a purchase came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A Checkout Session the organization started.
    Checkout,
    /// An off-session charge of the saved card.
    AutoTopup,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Checkout => "checkout",
            Source::AutoTopup => "auto_topup",
        }
    }
}

/// Whether the money arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not (yet) paid: the customer has not finished, or abandoned, the Checkout page.
    Pending,
    /// Paid and credited.
    Paid,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Paid => "paid",
        }
    }
}

/// One purchase; amounts exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    /// The Checkout Session id, or the PaymentIntent id of an auto top-up.
    pub id: String,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub credited_at: Option<DateTime<Utc>>,
    /// The credit bought.
    pub credit: Nanos,
    /// The platform fee, charged on top.
    pub fee: Nanos,
    pub status: Status,
    /// Refunded to the customer so far (of credit + fee).
    pub refunded: Nanos,
}

impl Purchase {
    /// What the customer was charged.
    pub fn total(&self) -> Nanos {
        self.credit.saturating_add(self.fee)
    }

    /// Where the page after this purchase starts.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

/// A position in the listing: rows strictly older than `(created_at, id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    /// `<unix nanoseconds>.<id>`: the full precision of the stored time (SQLite keeps
    /// nanoseconds), so that the row the cursor names compares equal to it.
    pub fn encode(&self) -> String {
        let nanos = self.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        format!("{nanos}.{}", self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (nanos, id) = text.split_once('.')?;
        if id.is_empty() || !nanos.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cursor {
            created_at: DateTime::from_timestamp_nanos(nanos.parse().ok()?),
            id: id.to_owned(),
        })
    }
}

#[derive(FromQueryResult)]
struct Row {
    id: String,
    source: String,
    created_at: DateTime<Utc>,
    credited_at: Option<DateTime<Utc>>,
    credit_nanos: i64,
    fee_nanos: i64,
    status: String,
    refunded_nanos: i64,
}

impl From<Row> for Purchase {
    fn from(row: Row) -> Self {
        Purchase {
            source: if row.source == Source::AutoTopup.as_str() {
                Source::AutoTopup
            } else {
                Source::Checkout
            },
            // Checkout rows say `credited` once paid; auto top-ups are listed once credited.
            status: if row.status == super::purchases::CREDITED {
                Status::Paid
            } else {
                Status::Pending
            },
            id: row.id,
            created_at: row.created_at,
            credited_at: row.credited_at,
            credit: Nanos::from_nanos(row.credit_nanos),
            fee: Nanos::from_nanos(row.fee_nanos),
            refunded: Nanos::from_nanos(row.refunded_nanos),
        }
    }
}

/// Up to `limit` of the organization's purchases, newest first, strictly before `before`.
pub async fn list(
    db: &DatabaseConnection,
    scope: &OrgScope,
    before: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<Purchase>, DbErr> {
    let cent = Nanos::from_cents(1).as_nanos();
    let credited = super::purchases::CREDITED;
    let (checkout, topup) = (Source::Checkout.as_str(), Source::AutoTopup.as_str());
    // `$n` placeholders: PostgreSQL's, and sqlx's SQLite driver reads them as `?n`.
    let mut values: Vec<sea_orm::Value> = vec![scope.org_id().into(), (limit as i64).into()];
    let after_cursor = match before {
        Some(cursor) => {
            values.push(cursor.created_at.into());
            values.push(cursor.id.clone().into());
            "WHERE p.created_at < $3 OR (p.created_at = $3 AND p.id < $4)"
        }
        None => "",
    };
    let sql = format!(
        "SELECT p.* FROM ( \
           SELECT c.session_id AS id, '{checkout}' AS source, c.created_at, c.credited_at, \
                  c.credit_cents * {cent} AS credit_nanos, c.fee_cents * {cent} AS fee_nanos, \
                  c.status, c.refunded_cents * {cent} AS refunded_nanos \
             FROM stripe_checkouts c WHERE c.org_id = $1 \
           UNION ALL \
           SELECT t.payment_intent AS id, '{topup}' AS source, t.created_at, t.created_at AS credited_at, \
                  t.credit_cents * {cent} AS credit_nanos, t.fee_cents * {cent} AS fee_nanos, \
                  '{credited}' AS status, t.refunded_cents * {cent} AS refunded_nanos \
             FROM stripe_topup_charges t WHERE t.org_id = $1 \
         ) p {after_cursor} \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $2"
    );
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let rows = Row::find_by_statement(statement).all(db).await?;
    Ok(rows.into_iter().map(Purchase::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_at_full_precision() {
        let at = DateTime::from_timestamp_nanos(1_764_971_036_123_456_789);
        let cursor = Cursor {
            created_at: at,
            id: "cs_test_a.b_c".into(),
        };
        let text = cursor.encode();
        assert_eq!(text, "1764971036123456789.cs_test_a.b_c");
        assert_eq!(Cursor::decode(&text), Some(cursor));
        for bad in [
            "",
            "12",
            "12.",
            ".cs_1",
            "-5.cs_1",
            "1e9.cs_1",
            "99999999999999999999.cs",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
