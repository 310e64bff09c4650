//! What an operator has read of its notifications in the portal: one
//! marker per recipient, the id of the newest notification it marked as
//! read (`notification_reads`, migration `0021_portal_aggregates.sql`).
//! The API's pull (`GET /api/v1/notifications?after=`) keeps its cursor
//! at the client and marks nothing; the marker is the portal's alone.
//! It only moves forward, so two instances (or two tabs) marking at once
//! keep the newer mark.

use async_trait::async_trait;
use sqlx::Row;

use tamga_core::codes::Eori;

use crate::codec::{self, NOTIFICATION_COLUMNS};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Notification, Result};

/// A recipient's notifications after its read marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Unread {
    /// How many, counted up to the cap asked for (`cap` means "at least").
    pub count: i64,
    /// The newest of them, newest first.
    pub latest: Vec<Notification>,
    /// The id of the newest notification of the recipient (read or not),
    /// 0 without any: what "mark all as read" marks.
    pub newest: i64,
}

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// `recipient`'s unread notifications: counted up to `cap`, the
    /// `latest` newest of them.
    async fn unread_notifications(&self, recipient: &Eori, cap: u32, latest: u32)
        -> Result<Unread>;

    /// Marks `recipient`'s notifications up to id `up_to` as read (a mark
    /// below the stored one changes nothing).
    async fn mark_notifications_read(&self, recipient: &Eori, up_to: i64) -> Result<()>;
}

const MARK: &str = "COALESCE((SELECT read_up_to FROM notification_reads WHERE recipient = ?), 0)";

macro_rules! notice_backend {
    ($store:ty, $read:ident, $write:ident, $sql:ident, $greatest:literal) => {
        #[async_trait]
        impl NoticeStore for $store {
            async fn unread_notifications(
                &self,
                recipient: &Eori,
                cap: u32,
                latest: u32,
            ) -> Result<Unread> {
                let who = recipient.as_str();
                let count: i64 = sqlx::query(&$sql(&format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM notifications \
                     WHERE recipient = ? AND id > {MARK} LIMIT ?) u"
                )))
                .bind(who)
                .bind(who)
                .bind(i64::from(cap))
                .fetch_one(&self.$read)
                .await?
                .try_get("n")?;
                let latest = sqlx::query(&$sql(&format!(
                    "SELECT {NOTIFICATION_COLUMNS} FROM notifications \
                     WHERE recipient = ? AND id > {MARK} ORDER BY id DESC LIMIT ?"
                )))
                .bind(who)
                .bind(who)
                .bind(i64::from(latest))
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(codec::notification)
                .collect::<Result<Vec<_>>>()?;
                let newest: i64 = sqlx::query(&$sql(
                    "SELECT COALESCE(MAX(id), 0) AS n FROM notifications WHERE recipient = ?",
                ))
                .bind(who)
                .fetch_one(&self.$read)
                .await?
                .try_get("n")?;
                Ok(Unread {
                    count,
                    latest,
                    newest,
                })
            }

            async fn mark_notifications_read(&self, recipient: &Eori, up_to: i64) -> Result<()> {
                sqlx::query(&$sql(concat!(
                    "INSERT INTO notification_reads (recipient, read_up_to) VALUES (?, ?) \
                     ON CONFLICT (recipient) DO UPDATE SET read_up_to = ",
                    $greatest
                )))
                .bind(recipient.as_str())
                .bind(up_to)
                .execute(&self.$write)
                .await?;
                Ok(())
            }
        }
    };
}

notice_backend!(
    SqliteStore,
    reader,
    writer,
    sqlite_sql,
    "MAX(notification_reads.read_up_to, excluded.read_up_to)"
);
notice_backend!(
    PgStore,
    pool,
    pool,
    pg_sql,
    "GREATEST(notification_reads.read_up_to, excluded.read_up_to)"
);
