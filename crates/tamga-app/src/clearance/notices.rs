//! An operator's unread notifications, for the portal's trader dashboard:
//! those after the operator's read marker
//! ([`tamga_store::notice_sql::NoticeStore`]), counted up to a cap, the
//! newest few shown as [`crate::disclosure`] lets an operator read them;
//! "mark as read" moves the marker to the newest notification shown.
//!
//! The API's pull (`GET /api/v1/notifications`) is unchanged: its cursor
//! is the client's own and reading through it marks nothing.

use tamga_store::Notification;

use super::{Caller, Clearance};
use crate::error::AppError;

/// Unread notifications counted at most this far ("99+").
pub const UNREAD_CAP: u32 = 99;

/// An operator's unread notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadNotices {
    /// How many, at most [`UNREAD_CAP`].
    pub count: i64,
    /// Whether there are more than [`UNREAD_CAP`].
    pub more: bool,
    /// The newest, newest first.
    pub latest: Vec<Notification>,
    /// The newest notification's id: what marking as read marks.
    pub newest: i64,
}

impl Clearance {
    /// The operator's unread notifications, the `latest` newest of them.
    pub async fn unread_notifications(
        &self,
        caller: &Caller,
        latest: u32,
    ) -> Result<UnreadNotices, AppError> {
        let Caller::Operator(op) = caller else {
            return Err(AppError::Forbidden(
                "notifications are an economic operator's".into(),
            ));
        };
        let u = self
            .store
            .unread_notifications(op, UNREAD_CAP + 1, latest.min(20))
            .await?;
        Ok(UnreadNotices {
            count: u.count.min(i64::from(UNREAD_CAP)),
            more: u.count > i64::from(UNREAD_CAP),
            latest: u
                .latest
                .into_iter()
                .map(crate::disclosure::for_operator)
                .collect(),
            newest: u.newest,
        })
    }

    /// Marks the operator's notifications up to `up_to` as read.
    pub async fn mark_notifications_read(
        &self,
        caller: &Caller,
        up_to: i64,
    ) -> Result<(), AppError> {
        let Caller::Operator(op) = caller else {
            return Err(AppError::Forbidden(
                "notifications are an economic operator's".into(),
            ));
        };
        Ok(self.store.mark_notifications_read(op, up_to).await?)
    }
}
