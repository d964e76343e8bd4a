//! Login sessions: a short-lived access JWT plus a rotating refresh token.
//! The JWT names its session (`sid`), and every session-authenticated request checks that
//! the session is still live, so logout takes effect at once.

use chrono::{DateTime, Duration, Utc};
use entity::{session, user};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::AccountError;
use crate::ids::{new_id, random_hex_secret, sha256_hex};

/// How long a just-rotated refresh token may be presented again (two tabs refreshing at once)
/// before the reuse is treated as theft and the session revoked.
const ROTATION_GRACE_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct IssuedSession {
    pub session_id: String,
    pub access_token: String,
    pub access_expires_in: i64,
    pub refresh_token: String,
    pub session_expires_at: DateTime<Utc>,
}

pub struct SessionManager {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    session_ttl: Duration,
}

impl SessionManager {
    pub fn new(secret: &[u8], access_ttl_secs: u64, session_ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        SessionManager {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: Duration::seconds(access_ttl_secs as i64),
            session_ttl: Duration::seconds(session_ttl_secs as i64),
        }
    }

    /// Starts a session for a user who just proved who they are.
    pub async fn start(
        &self,
        db: &DatabaseConnection,
        user_id: &str,
    ) -> Result<IssuedSession, AccountError> {
        let now = Utc::now();
        let refresh_token = format!("sbr_{}", random_hex_secret());
        let row = session::ActiveModel {
            id: Set(new_id("ses")),
            user_id: Set(user_id.to_owned()),
            refresh_token_hash: Set(sha256_hex(&refresh_token)),
            previous_refresh_hash: Set(None),
            created_at: Set(now),
            refreshed_at: Set(now),
            expires_at: Set(now + self.session_ttl),
            revoked_at: Set(None),
        }
        .insert(db)
        .await?;
        self.issue(row.id, user_id, refresh_token, row.expires_at)
    }

    /// Exchanges a refresh token for a new access token and a new refresh token.
    pub async fn refresh(
        &self,
        db: &DatabaseConnection,
        refresh_token: &str,
    ) -> Result<(IssuedSession, String), AccountError> {
        let now = Utc::now();
        let presented = sha256_hex(refresh_token);
        let current = session::Entity::find()
            .filter(session::Column::RefreshTokenHash.eq(presented.clone()))
            .one(db)
            .await?;
        let Some(current) = current else {
            self.handle_reuse(db, &presented, now).await?;
            return Err(AccountError::SessionInvalid);
        };
        if current.revoked_at.is_some() || current.expires_at <= now {
            return Err(AccountError::SessionInvalid);
        }
        let next_token = format!("sbr_{}", random_hex_secret());
        // Conditional update: of two concurrent refreshes with one token, exactly one wins.
        let updated = session::Entity::update_many()
            .col_expr(
                session::Column::RefreshTokenHash,
                Expr::value(sha256_hex(&next_token)),
            )
            .col_expr(
                session::Column::PreviousRefreshHash,
                Expr::value(presented.clone()),
            )
            .col_expr(session::Column::RefreshedAt, Expr::value(now))
            .filter(session::Column::Id.eq(current.id.clone()))
            .filter(session::Column::RefreshTokenHash.eq(presented))
            .exec(db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(AccountError::SessionInvalid);
        }
        let issued = self.issue(current.id, &current.user_id, next_token, current.expires_at)?;
        Ok((issued, current.user_id))
    }

    /// A token that is no longer current: if it was the previous one and the grace period has
    /// passed, someone replayed it, so the session is revoked.
    async fn handle_reuse(
        &self,
        db: &DatabaseConnection,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AccountError> {
        let previous = session::Entity::find()
            .filter(session::Column::PreviousRefreshHash.eq(presented))
            .one(db)
            .await?;
        if let Some(previous) = previous
            && now - previous.refreshed_at > Duration::seconds(ROTATION_GRACE_SECS)
        {
            tracing::warn!(session_id = %previous.id, "refresh token reuse detected; revoking session");
            self.revoke(db, &previous.id).await?;
        }
        Ok(())
    }

    pub async fn revoke(
        &self,
        db: &DatabaseConnection,
        session_id: &str,
    ) -> Result<(), AccountError> {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(session::Column::Id.eq(session_id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        Ok(())
    }

    /// Revokes the session a refresh token belongs to (logout without an access token).
    pub async fn revoke_by_refresh_token(
        &self,
        db: &DatabaseConnection,
        refresh_token: &str,
    ) -> Result<bool, AccountError> {
        let found = session::Entity::find()
            .filter(session::Column::RefreshTokenHash.eq(sha256_hex(refresh_token)))
            .one(db)
            .await?;
        match found {
            Some(s) => {
                self.revoke(db, &s.id).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Checks an access token's signature and expiry (no database access).
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AccountError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AccountError::SessionInvalid)
    }

    /// The user behind a verified access token, if its session is still live.
    pub async fn live_user(
        &self,
        db: &DatabaseConnection,
        claims: &AccessClaims,
    ) -> Result<user::Model, AccountError> {
        let found = session::Entity::find_by_id(claims.sid.clone())
            .find_also_related(user::Entity)
            .one(db)
            .await?;
        match found {
            Some((s, Some(user)))
                if s.user_id == claims.sub
                    && s.revoked_at.is_none()
                    && s.expires_at > Utc::now() =>
            {
                Ok(user)
            }
            _ => Err(AccountError::SessionInvalid),
        }
    }

    fn issue(
        &self,
        session_id: String,
        user_id: &str,
        refresh_token: String,
        session_expires_at: DateTime<Utc>,
    ) -> Result<IssuedSession, AccountError> {
        let now = Utc::now();
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            sid: session_id.clone(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|e| AccountError::Hashing(e.to_string()))?;
        Ok(IssuedSession {
            session_id,
            access_token,
            access_expires_in: self.access_ttl.num_seconds(),
            refresh_token,
            session_expires_at,
        })
    }
}
