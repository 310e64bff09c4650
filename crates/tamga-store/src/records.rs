//! What many writes record inside their own transaction, written once for
//! both backends: an audit entry, an operator's notification, and a move
//! of the `identity_epoch` counter (every instance then forgets the
//! identities it cached: see `tamga_app::identity::epoch`).

use async_trait::async_trait;
use sqlx::{PgConnection, SqliteConnection};
use time::OffsetDateTime;

use tamga_core::lifecycle::NewNotification;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::Result;

/// Records written beside an act, in the act's transaction (`&mut *tx`).
#[async_trait]
pub(crate) trait Records {
    /// An `audit_log` entry.
    async fn audit(
        &mut self,
        actor: &str,
        action: &str,
        at: OffsetDateTime,
        payload: &serde_json::Value,
    ) -> Result<()>;
    /// A notification to an operator.
    async fn notify(&mut self, n: &NewNotification) -> Result<()>;
    /// Moves `identity_epoch` on.
    async fn bump_identity_epoch(&mut self) -> Result<()>;
}

macro_rules! records {
    ($conn:ty, $sql:ident) => {
        #[async_trait]
        impl Records for $conn {
            async fn audit(
                &mut self,
                actor: &str,
                action: &str,
                at: OffsetDateTime,
                payload: &serde_json::Value,
            ) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?)",
                ))
                .bind(actor)
                .bind(action)
                .bind(crate::codec::nanos(at)?)
                .bind(crate::codec::to_json(payload)?)
                .execute(&mut *self)
                .await?;
                Ok(())
            }

            async fn notify(&mut self, n: &NewNotification) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO notifications (recipient, kind, mrn, lrn, at, payload) VALUES (?, ?, ?, ?, ?, ?)",
                ))
                .bind(n.recipient.as_str())
                .bind(n.kind.as_str())
                .bind(n.mrn.as_ref().map(|m| m.as_str()))
                .bind(n.lrn.as_ref().map(|l| l.as_str()))
                .bind(crate::codec::nanos(n.at)?)
                .bind(crate::codec::to_json(&n.payload)?)
                .execute(&mut *self)
                .await?;
                Ok(())
            }

            async fn bump_identity_epoch(&mut self) -> Result<()> {
                sqlx::query(crate::token_sql::BUMP_EPOCH)
                    .execute(&mut *self)
                    .await?;
                Ok(())
            }
        }
    };
}

records!(SqliteConnection, sqlite_sql);
records!(PgConnection, pg_sql);
