//! Inspectors: their office, competences, capacity and supervision, as
//! administrators register them, with their open task counts.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_core::codes::OfficeCode;
use tamga_core::dispatch::Competences;
use tamga_store::ops_sql::Inspector;
use tamga_store::Role;

use crate::error::AppError;
use crate::Caller;

use super::{label, require, Workbench};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorView {
    #[serde(flatten)]
    pub inspector: Inspector,
    pub open_tasks: u32,
}

impl Workbench {
    /// An administrator registers or changes an inspector (audited).
    /// `body`: `{"office", "competences": {"hsChapters", "hsSections",
    /// "transportModes"}, "capacity", "active", "supervisor"}`.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn put_inspector(
        &self,
        caller: &Caller,
        username: &str,
        body: &Value,
    ) -> Result<Inspector, AppError> {
        require(caller, &[Role::Admin])?;
        let user = self
            .store()
            .user(username)
            .await?
            .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
        if !user.has_any(&[Role::Officer, Role::Inspector]) {
            return Err(AppError::bad_request(
                "INSPECTOR_ROLE",
                "",
                format!(
                    "{username} is a {}, not an officer or inspector",
                    user.roles_text()
                ),
            ));
        }
        let office = body
            .get("office")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                AppError::bad_request("INSPECTOR_OFFICE", "/office", "give the office code")
            })
            .and_then(|s| {
                OfficeCode::parse(s)
                    .map_err(|e| AppError::bad_request("INSPECTOR_OFFICE", "/office", e.message))
            })?;
        if !user.offices.contains(&office) {
            return Err(AppError::bad_request(
                "INSPECTOR_OFFICE",
                "/office",
                format!("{username} does not belong to office {office}"),
            ));
        }
        let competences: Competences = match body.get("competences") {
            None | Some(Value::Null) => Competences::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                AppError::bad_request("INSPECTOR_COMPETENCES", "/competences", e.to_string())
            })?,
        };
        competences.check().map_err(|e| {
            AppError::bad_request(e.code, format!("/competences{}", e.field), e.message)
        })?;
        let capacity = body
            .get("capacity")
            .and_then(Value::as_u64)
            .filter(|c| (1..=1000).contains(c))
            .ok_or_else(|| {
                AppError::bad_request(
                    "INSPECTOR_CAPACITY",
                    "/capacity",
                    "capacity is the number of open tasks at once: an integer from 1 to 1000",
                )
            })? as u32;
        let flag = |name: &str, default: bool| -> Result<bool, AppError> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(AppError::bad_request(
                    "INSPECTOR_FLAG",
                    format!("/{name}"),
                    format!("{name} is true or false"),
                )),
            }
        };
        let now = OffsetDateTime::now_utc();
        let i = Inspector {
            username: username.to_owned(),
            office,
            competences,
            capacity,
            active: flag("active", true)?,
            supervisor: flag("supervisor", false)?,
            updated_at: now,
        };
        self.store().put_inspector(&i).await?;
        self.store()
            .append_audit(&label(caller), "inspector.put", now, &json!(i))
            .await?;
        self.wake.notify_one();
        Ok(i)
    }

    pub async fn inspectors(&self, caller: &Caller) -> Result<Vec<InspectorView>, AppError> {
        require(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        let counts: HashMap<String, u32> =
            self.store().open_task_counts().await?.into_iter().collect();
        Ok(self
            .store()
            .inspectors()
            .await?
            .into_iter()
            .map(|i| InspectorView {
                open_tasks: counts.get(&i.username).copied().unwrap_or(0),
                inspector: i,
            })
            .collect())
    }
}
