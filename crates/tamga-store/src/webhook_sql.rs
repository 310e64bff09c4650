//! Notifications as [`crate::Store`] serves them: an operator's pull
//! after a cursor, and the operators' webhooks (`webhooks`: the URL, the
//! id of the last notification delivered, and the secret deliveries are
//! signed with). A webhook set anew starts after the operator's latest
//! notification. The portal's read markers are [`crate::NoticeStore`]'s.
//!
//! The SQL is written once, in the `webhook_backend!` macro (`?`
//! placeholders, rewritten to `$n` for PostgreSQL), which gives each
//! backend a module of functions over its store (`sqlite`, `pg`);
//! `sqlite.rs` and `postgres.rs` implement the [`crate::Store`] methods
//! by calling them.

use sqlx::Row;

use tamga_core::codes::Eori;

use crate::codec::{self, NOTIFICATION_COLUMNS};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Notification, Result};

macro_rules! webhook_backend {
    ($mod:ident, $store:ty, $read:ident, $write:ident, $sql:path) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            pub(crate) async fn notifications(
                s: &$store,
                recipient: &Eori,
                after: i64,
                limit: u32,
            ) -> Result<Vec<Notification>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?"
                )))
                .bind(recipient.as_str())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&s.$read)
                .await?
                .iter()
                .map(codec::notification)
                .collect()
            }

            pub(crate) async fn set_webhook(
                s: &$store,
                operator: &Eori,
                url: Option<&str>,
            ) -> Result<()> {
                match url {
                    Some(url) => sqlx::query(&$sql(
                        "INSERT INTO webhooks (operator, url, delivered_up_to) \
                         VALUES (?, ?, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = ?)) \
                         ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = NULL",
                    ))
                    .bind(operator.as_str())
                    .bind(url)
                    .bind(operator.as_str())
                    .execute(&s.$write)
                    .await?,
                    None => sqlx::query(&$sql("DELETE FROM webhooks WHERE operator = ?"))
                        .bind(operator.as_str())
                        .execute(&s.$write)
                        .await?,
                };
                Ok(())
            }

            pub(crate) async fn webhooks(s: &$store) -> Result<Vec<(Eori, String, i64)>> {
                sqlx::query("SELECT operator, url, delivered_up_to FROM webhooks ORDER BY operator")
                    .fetch_all(&s.$read)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok((
                            codec::eori(r.try_get("operator")?)?,
                            r.try_get("url")?,
                            r.try_get("delivered_up_to")?,
                        ))
                    })
                    .collect()
            }

            pub(crate) async fn set_signed_webhook(
                s: &$store,
                operator: &Eori,
                url: &str,
                secret: &str,
            ) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO webhooks (operator, url, delivered_up_to, secret) \
                     VALUES (?, ?, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = ?), ?) \
                     ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = excluded.secret",
                ))
                .bind(operator.as_str())
                .bind(url)
                .bind(operator.as_str())
                .bind(secret)
                .execute(&s.$write)
                .await?;
                Ok(())
            }

            pub(crate) async fn webhook_secret(
                s: &$store,
                operator: &Eori,
            ) -> Result<Option<String>> {
                Ok(sqlx::query_scalar::<_, Option<String>>(&$sql(
                    "SELECT secret FROM webhooks WHERE operator = ?",
                ))
                .bind(operator.as_str())
                .fetch_optional(&s.$read)
                .await?
                .flatten())
            }

            pub(crate) async fn set_webhook_cursor(
                s: &$store,
                operator: &Eori,
                delivered_up_to: i64,
            ) -> Result<()> {
                sqlx::query(&$sql("UPDATE webhooks SET delivered_up_to = ? WHERE operator = ?"))
                    .bind(delivered_up_to)
                    .bind(operator.as_str())
                    .execute(&s.$write)
                    .await?;
                Ok(())
            }
        }
    };
}

webhook_backend!(sqlite, SqliteStore, reader, writer, sqlite_sql);
webhook_backend!(pg, PgStore, pool, pool, pg_sql);
