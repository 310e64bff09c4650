//! Risk profiles: drafts checked and stored as versions, activation
//! (checked against the reference data) and retirement, each audited, and
//! "what would this have hit" over past declarations.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime};

use tamga_core::codes::{CountryCode, DocumentTypeCode, HsCode, OfficeCode};
use tamga_core::lifecycle::Channel;
use tamga_core::profiles::schema::{Attr, CodeKind, Ty};
use tamga_core::profiles::{
    what_would_hit, CompiledProfile, Control, Profile, ProfileEngine, ProfileHit, RiskSubject,
};
use tamga_store::risk_sql::{ProfileRecord, ProfileStatus, ProfileVersionRecord};
use tamga_store::StoreError;

use crate::error::AppError;
use crate::Caller;

use super::{
    analyst, period, profile_refused, refused, RiskAdmin, RiskError, TEST_MAX_DECLARATIONS,
};

/// A profile as analysts send it (the id comes from the path for new
/// versions; the version number is assigned).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileDraft {
    #[serde(default)]
    pub id: Option<String>,
    pub rationale: String,
    pub expression: String,
    pub valid_from: Date,
    #[serde(default)]
    pub valid_to: Option<Date>,
    #[serde(default)]
    pub offices: Vec<OfficeCode>,
    #[serde(default)]
    pub priority: i32,
    pub control: Control,
    pub channel: Channel,
}

/// "What would this have hit": a stored version or a draft expression.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestRequest {
    /// A stored profile (its active version, else its latest, unless
    /// `version` is given)...
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub version: Option<u32>,
    /// ...or a draft expression (with optional office scope).
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub offices: Vec<OfficeCode>,
    /// Period of registration, `[from, to)`; default the last 30 days.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub to: Option<OffsetDateTime>,
    /// Most hits listed (default 20, at most 200).
    #[serde(default)]
    pub sample: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestHit {
    pub mrn: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub office: String,
    pub channel: Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    pub explanation: String,
    /// The hit itself, for a page to say it in its own language (not in
    /// the API's answer, which keeps its shape).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub hit: ProfileHit,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    pub expression: String,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub declarations_examined: usize,
    /// True when the period held more than [`TEST_MAX_DECLARATIONS`]: only
    /// the oldest were examined.
    pub truncated: bool,
    pub hits: usize,
    pub sample: Vec<TestHit>,
}

impl RiskAdmin {
    fn build(&self, id: String, version: u32, d: ProfileDraft) -> Result<Profile, RiskError> {
        let p = Profile {
            id,
            version,
            rationale: d.rationale,
            expression: d.expression,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            offices: d.offices,
            priority: d.priority,
            control: d.control,
            channel: d.channel,
        };
        if p.rationale.trim().is_empty() || p.rationale.len() > 4000 {
            return Err(refused(
                "PROFILE_RATIONALE",
                "/rationale",
                "give a rationale of 1 to 4000 characters",
            ));
        }
        if !p
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(refused(
                "PROFILE_ID",
                "/id",
                "id must be letters, digits, '-' or '_'",
            ));
        }
        // Syntax, types, contradictions (line and column for the expression).
        CompiledProfile::compile(p.clone()).map_err(profile_refused)?;
        Ok(p)
    }

    /// Creates a profile with its version 1 (a draft until activated).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn create_profile(
        &self,
        caller: &Caller,
        draft: ProfileDraft,
    ) -> Result<ProfileRecord, RiskError> {
        let user = analyst(caller)?;
        let id = draft
            .id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| refused("PROFILE_ID", "/id", "id is required"))?;
        let profile = self.build(id.clone(), 1, draft)?;
        let rec = ProfileVersionRecord {
            profile,
            created_at: OffsetDateTime::now_utc(),
            created_by: user.username.clone(),
        };
        match self.clearance.store().add_profile_version(&rec).await {
            Err(StoreError::AlreadyExists(_)) => {
                return Err(refused(
                    "PROFILE_EXISTS",
                    "/id",
                    format!("profile {id} exists: add a version instead"),
                ))
            }
            r => r?,
        }
        self.audit(caller, "profile.create", json!(rec.profile))
            .await?;
        Ok(self.get(&id).await?)
    }

    /// Stores a new version (not active until activated).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn add_version(
        &self,
        caller: &Caller,
        id: &str,
        draft: ProfileDraft,
    ) -> Result<ProfileRecord, RiskError> {
        let user = analyst(caller)?;
        if draft.id.as_deref().is_some_and(|x| x != id) {
            return Err(refused(
                "PROFILE_ID",
                "/id",
                "the id in the body differs from the path",
            ));
        }
        let _g = self.changes.lock().await;
        let current = self.get(id).await?;
        let next = current.latest().map_or(1, |v| v.profile.version + 1);
        let profile = self.build(id.to_owned(), next, draft)?;
        let rec = ProfileVersionRecord {
            profile,
            created_at: OffsetDateTime::now_utc(),
            created_by: user.username.clone(),
        };
        self.clearance.store().add_profile_version(&rec).await?;
        self.audit(caller, "profile.version", json!(rec.profile))
            .await?;
        Ok(self.get(id).await?)
    }

    async fn get(&self, id: &str) -> Result<ProfileRecord, AppError> {
        self.clearance
            .store()
            .profile(id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("profile {id}")))
    }

    pub async fn profile(&self, caller: &Caller, id: &str) -> Result<ProfileRecord, AppError> {
        analyst(caller)?;
        self.get(id).await
    }

    pub async fn profiles(&self, caller: &Caller) -> Result<Vec<ProfileRecord>, AppError> {
        analyst(caller)?;
        Ok(self.clearance.store().profiles().await?)
    }

    /// The codes an expression refers to that the reference data does not
    /// know (HS codes and prefixes, countries, offices, documents,
    /// procedures), as messages.
    fn unknown_codes(&self, p: &CompiledProfile, today: Date) -> Vec<String> {
        let r = self.clearance.reference();
        let mut unknown = Vec::new();
        for (attr, code) in p.referenced_codes() {
            let Some(a) = Attr::parse(attr) else { continue };
            let kind = match a.ty() {
                Ty::Code(k) | Ty::CodeList(k) => k,
                _ => continue,
            };
            let known = match kind {
                CodeKind::Hs | CodeKind::HsDigits(_) => match HsCode::parse(&code) {
                    Ok(h) if code.len() >= 6 => r.hs_code_valid(&h, today),
                    _ => self.hs_prefixes.contains(&code),
                },
                CodeKind::Country => CountryCode::parse(&code).is_ok_and(|c| r.country_exists(&c)),
                CodeKind::Office => {
                    OfficeCode::parse(&code).is_ok_and(|o| r.office_roles(&o).is_some())
                }
                CodeKind::DocumentType => {
                    DocumentTypeCode::parse(&code).is_ok_and(|d| r.document_type_exists(&d))
                }
                CodeKind::Procedure => tamga_core::codes::ProcedureCode::parse(&code)
                    .is_ok_and(|p| r.procedure_types(&p).is_some()),
                // Operators may be unknown yet (a watch on a newcomer);
                // the other kinds are closed lists the type checker knows.
                _ => true,
            };
            if !known {
                unknown.push(format!("{attr}: unknown code {code:?}"));
            }
        }
        for o in &p.profile.offices {
            if r.office_roles(o).is_none() {
                unknown.push(format!("offices: unknown office {o}"));
            }
        }
        unknown
    }

    /// Activates a version (default: the latest). Refused, with nothing
    /// changed, when it does not compile, refers to unknown codes or has
    /// expired.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn activate(
        &self,
        caller: &Caller,
        id: &str,
        version: Option<u32>,
    ) -> Result<ProfileRecord, RiskError> {
        let user = analyst(caller)?;
        let _g = self.changes.lock().await;
        let rec = self.get(id).await?;
        let v = match version {
            Some(n) => rec
                .version(n)
                .ok_or_else(|| AppError::not_found(format!("profile {id} version {n}")))?,
            None => rec
                .latest()
                .ok_or_else(|| AppError::not_found(format!("profile {id} version")))?,
        };
        let now = OffsetDateTime::now_utc();
        let compiled = CompiledProfile::compile(v.profile.clone()).map_err(profile_refused)?;
        let unknown = self.unknown_codes(&compiled, now.date());
        if !unknown.is_empty() {
            return Err(refused(
                "PROFILE_UNKNOWN_CODE",
                "/expression",
                format!("not activated: {}", unknown.join("; ")),
            ));
        }
        if v.profile.valid_to.is_some_and(|t| t < now.date()) {
            return Err(refused(
                "PROFILE_EXPIRED",
                "/validTo",
                "not activated: the version's validity has ended",
            ));
        }
        let number = v.profile.version;
        // The whole new active set must build before anything is stored.
        let mut set: Vec<CompiledProfile> = self
            .stage
            .engine()
            .profiles()
            .iter()
            .filter(|p| p.profile.id != id)
            .cloned()
            .collect();
        set.push(compiled);
        let engine = ProfileEngine::new(set).map_err(profile_refused)?;
        if !self
            .clearance
            .store()
            .set_profile_status(id, ProfileStatus::Active, Some(number), now, &user.username)
            .await?
        {
            return Err(AppError::not_found(format!("profile {id} version {number}")).into());
        }
        *self.stage.engine.write().expect("lock") = Arc::new(engine);
        self.clearance.set_risk_stage(self.stage.clone());
        crate::epochs::bump(self.clearance.store().as_ref(), crate::epochs::RISK).await;
        self.audit(
            caller,
            "profile.activate",
            json!({"id": id, "version": number, "previous": rec.active_version}),
        )
        .await?;
        Ok(self.get(id).await?)
    }

    /// Retires a profile: no version is active any more.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn retire(&self, caller: &Caller, id: &str) -> Result<ProfileRecord, AppError> {
        let user = analyst(caller)?;
        let _g = self.changes.lock().await;
        let rec = self.get(id).await?;
        if rec.status != ProfileStatus::Active {
            return Err(AppError::bad_request(
                "PROFILE_NOT_ACTIVE",
                "",
                format!("profile {id} is {}, not active", rec.status.as_str()),
            ));
        }
        self.clearance
            .store()
            .set_profile_status(
                id,
                ProfileStatus::Retired,
                None,
                OffsetDateTime::now_utc(),
                &user.username,
            )
            .await?;
        self.reload_engine().await?;
        crate::epochs::bump(self.clearance.store().as_ref(), crate::epochs::RISK).await;
        self.audit(
            caller,
            "profile.retire",
            json!({"id": id, "version": rec.active_version}),
        )
        .await?;
        self.get(id).await
    }

    /// "What would this have hit": a stored version or a draft expression
    /// over the declarations registered in a period, rebuilt as risk
    /// subjects (with the trader context as known now).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn test(&self, caller: &Caller, req: TestRequest) -> Result<TestReport, RiskError> {
        analyst(caller)?;
        let now = OffsetDateTime::now_utc();
        let (from, to) = period(req.from, req.to, now)?;
        let (profile, profile_id, version) = match (&req.profile_id, &req.expression) {
            (Some(id), None) => {
                let rec = self.get(id).await?;
                let v = match req.version.or(rec.active_version) {
                    Some(n) => rec
                        .version(n)
                        .ok_or_else(|| AppError::not_found(format!("profile {id} version {n}")))?,
                    None => rec
                        .latest()
                        .ok_or_else(|| AppError::not_found(format!("profile {id} version")))?,
                };
                (v.profile.clone(), Some(id.clone()), Some(v.profile.version))
            }
            (None, Some(expr)) => (
                Profile {
                    id: "DRAFT".into(),
                    version: 0,
                    rationale: "draft".into(),
                    expression: expr.clone(),
                    valid_from: from.date(),
                    valid_to: None,
                    offices: req.offices.clone(),
                    priority: 0,
                    control: Control::DocumentaryCheck,
                    channel: Channel::Yellow,
                },
                None,
                None,
            ),
            _ => {
                return Err(AppError::bad_request(
                    "PROFILE_TEST",
                    "",
                    "give either profileId (and optionally version) or expression",
                )
                .into())
            }
        };
        let expression = profile.expression.clone();
        let compiled = CompiledProfile::compile(profile).map_err(profile_refused)?;
        let decls = self
            .clearance
            .store()
            .declarations_registered(from, to, TEST_MAX_DECLARATIONS + 1)
            .await?;
        let truncated = decls.len() > TEST_MAX_DECLARATIONS as usize;
        let decls = &decls[..decls.len().min(TEST_MAX_DECLARATIONS as usize)];
        let subjects: Vec<RiskSubject> = decls
            .iter()
            .map(|r| {
                let t = self
                    .clearance
                    .trader_context(&r.declarant, r.registered_at.date());
                RiskSubject::from_declaration(&r.declaration, &t)
            })
            .collect();
        let hits = what_would_hit(&compiled, &subjects);
        let max = req.sample.unwrap_or(20).min(200) as usize;
        let sample = hits
            .iter()
            .take(max)
            .map(|(i, h)| {
                let r = &decls[*i];
                TestHit {
                    mrn: r.mrn.to_string(),
                    registered_at: r.registered_at,
                    office: r.office.to_string(),
                    channel: r.channel,
                    item: h.item,
                    explanation: h.explanation.clone(),
                    hit: h.clone(),
                }
            })
            .collect();
        Ok(TestReport {
            profile_id,
            version,
            expression,
            from,
            to,
            declarations_examined: decls.len(),
            truncated,
            hits: hits.len(),
            sample,
        })
    }
}
