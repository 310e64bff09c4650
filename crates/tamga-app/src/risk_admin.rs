//! Risk management administration (issue 4): risk profiles (create,
//! version, test against past declarations, activate, retire, all
//! audited), the active profile engine, pre-arrival information with its
//! preliminary decisions, and effectiveness analytics.
//!
//! [`CombinedStage`] is the risk stage lodging uses: officer selectivity
//! criteria (re-read from [`Clearance::selectivity`] on every assessment),
//! the compiled engine of the active profile versions, the trader's
//! context, the channel policy and the pre-arrival index, combined by
//! [`tamga_core::channel::decide`]. It is installed at start; activation,
//! retirement, policy changes and pre-arrival submissions update it in
//! place.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock, Weak};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};

use tamga_core::channel::{self, ChannelPolicy, Draws, Inputs};
use tamga_core::codes::{CountryCode, DocumentTypeCode, Eori, HsCode, Mrn, OfficeCode};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{Channel, ControlOutcome, EventBody};
use tamga_core::pipeline::RiskStage;
use tamga_core::prearrival::{self, CargoError, Preliminary};
use tamga_core::profiles::schema::{Attr, CodeKind, Ty};
use tamga_core::profiles::{
    what_would_hit, CompiledProfile, Control, Profile, ProfileEngine, ProfileError, RiskSubject,
    TraderContext,
};
use tamga_core::risk::{self, RiskDecision};
use tamga_store::risk_sql::{PrearrivalRecord, ProfileRecord, ProfileStatus, ProfileVersionRecord};
use tamga_store::{Role, StoreError, User};

use crate::error::AppError;
use crate::{Caller, Clearance};

/// Settings key of the channel policy.
const POLICY_KEY: &str = "channel_policy";
/// Pre-arrival information older than this (by expected arrival) is not
/// loaded into the index at start.
const PREARRIVAL_DAYS: i64 = 60;
/// Most declarations a profile test reads.
pub const TEST_MAX_DECLARATIONS: u32 = 50_000;
/// Longest period a test or analytics report covers.
const MAX_PERIOD_DAYS: i64 = 366;

/// Errors of this service: the application's, a refused profile (with
/// line and column), or refused pre-arrival information (every problem
/// with its pointer).
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{error}")]
    Profile {
        error: ProfileError,
        /// JSON pointer of the field (`/expression` for expression errors).
        pointer: String,
    },
    #[error("pre-arrival information refused: {} problem(s)", .0.len())]
    Cargo(Vec<CargoError>),
}

impl From<StoreError> for RiskError {
    fn from(e: StoreError) -> Self {
        RiskError::App(AppError::Store(e))
    }
}

fn profile_refused(error: ProfileError) -> RiskError {
    let pointer = if error.line > 0 {
        "/expression"
    } else {
        match error.code {
            "PROFILE_ID" | "PROFILE_DUPLICATE_ID" => "/id",
            "PROFILE_CHANNEL" => "/channel",
            "PROFILE_VALIDITY" => "/validTo",
            _ => "",
        }
    };
    RiskError::Profile {
        error,
        pointer: pointer.into(),
    }
}

fn refused(code: &'static str, pointer: &str, message: impl Into<String>) -> RiskError {
    RiskError::Profile {
        error: ProfileError {
            code,
            line: 0,
            column: 0,
            message: message.into(),
        },
        pointer: pointer.into(),
    }
}

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

/// Effectiveness of one profile (or of random selection) over a period.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileEffectiveness {
    pub profile_id: String,
    /// Declarations it hit.
    pub hits: u64,
    /// Of those, declarations with a control result recorded.
    pub controls: u64,
    /// Of those, with findings.
    pub findings: u64,
    /// findings / controls (absent without controls).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub yield_rate: Option<Decimal>,
    /// Hits but no findings: flagged for review.
    pub review: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelFigures {
    pub declarations: u64,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub share: Decimal,
    pub released: u64,
    /// Mean and median seconds from registration to release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_seconds_to_release: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_seconds_to_release: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Analytics {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Declarations registered in the period with a risk decision.
    pub declarations: u64,
    pub channels: BTreeMap<String, ChannelFigures>,
    /// Green declarations selected for post-release audit.
    pub blue: u64,
    pub profiles: Vec<ProfileEffectiveness>,
    /// The same figures for random selection (a baseline for yields).
    pub random_selection: ProfileEffectiveness,
    /// Profiles flagged for review (hits, no findings).
    pub review: Vec<String>,
}

/// What the submitter of pre-arrival information is told: that it was
/// received, under which id. Nothing of the preliminary decision (channel,
/// profiles, conditions, hits): that is for the office of arrival.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrearrivalReceipt {
    pub id: String,
    /// Always `received`.
    pub status: &'static str,
    pub transport_document: String,
    pub office_of_arrival: OfficeCode,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

impl From<&PrearrivalRecord> for PrearrivalReceipt {
    fn from(r: &PrearrivalRecord) -> Self {
        PrearrivalReceipt {
            id: r.id.clone(),
            status: "received",
            transport_document: r.info.transport_document.clone(),
            office_of_arrival: r.info.office_of_arrival.clone(),
            submitted_at: r.submitted_at,
        }
    }
}

/// The risk stage lodging uses (see the module docs).
pub struct CombinedStage {
    clearance: Weak<Clearance>,
    engine: RwLock<Arc<ProfileEngine>>,
    policy: RwLock<Arc<ChannelPolicy>>,
    /// Transport document reference → preliminary decision (latest wins).
    prearrivals: RwLock<HashMap<String, Preliminary>>,
}

impl CombinedStage {
    fn engine(&self) -> Arc<ProfileEngine> {
        self.engine.read().expect("lock").clone()
    }
    fn policy(&self) -> Arc<ChannelPolicy> {
        self.policy.read().expect("lock").clone()
    }
    fn preliminary(&self, d: &Declaration) -> Option<Preliminary> {
        let index = self.prearrivals.read().expect("lock");
        if index.is_empty() {
            return None;
        }
        d.transport_documents
            .iter()
            .find_map(|t| index.get(t.reference.trim()).cloned())
    }
}

impl RiskStage for CombinedStage {
    fn assess(&self, d: &Declaration, mrn: &Mrn, trader: &TraderContext) -> RiskDecision {
        let selectivity = self
            .clearance
            .upgrade()
            .map(|c| c.selectivity())
            .unwrap_or_default();
        let key = &selectivity.key;
        let base = risk::assess(d, mrn, &selectivity.criteria, &selectivity.random, key);
        let engine = self.engine();
        let profile_hits = if engine.profiles().is_empty() {
            Vec::new()
        } else {
            engine.evaluate(
                &RiskSubject::from_declaration(d, trader),
                OffsetDateTime::now_utc().date(),
            )
        };
        let preliminary = self.preliminary(d);
        channel::decide(
            Inputs {
                criteria_hits: base.hits,
                profile_hits,
                trader,
                model_score: None,
                preliminary: preliminary.as_ref(),
                draws: Some(Draws {
                    random: &selectivity.random,
                    secret_id: Some(key.id),
                    draw: base.random.draw,
                    blue_draw: key.draw(risk::PURPOSE_BLUE, selectivity.random.seed, mrn.as_str()),
                }),
            },
            &self.policy(),
        )
    }
}

pub struct RiskAdmin {
    clearance: Arc<Clearance>,
    stage: Arc<CombinedStage>,
    /// Every HS code in the reference data and all its prefixes (for the
    /// activation check of `hs2`/`hs4`/`starts_with` conditions).
    hs_prefixes: HashSet<String>,
    /// Serializes profile state changes so the engine always matches the
    /// stored active set.
    changes: tokio::sync::Mutex<()>,
}

fn label(caller: &Caller) -> String {
    caller.label()
}

fn analyst(caller: &Caller) -> Result<&User, AppError> {
    caller.require(&[Role::RiskAnalyst, Role::Admin])
}

fn period(
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime), AppError> {
    let to = to.unwrap_or(now + Duration::seconds(1));
    let from = from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::bad_request(
            "PERIOD",
            "/from",
            "from must be before to",
        ));
    }
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(AppError::bad_request(
            "PERIOD",
            "/from",
            format!("a period covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok((from, to))
}

impl RiskAdmin {
    /// Loads the active profiles, the channel policy and recent pre-arrival
    /// information, and installs the combined stage.
    pub async fn start(clearance: Arc<Clearance>) -> Result<Arc<RiskAdmin>, AppError> {
        let store = clearance.store().clone();
        let policy = match store.risk_setting(POLICY_KEY).await? {
            Some(v) => serde_json::from_value(v).map_err(|e| {
                AppError::Store(StoreError::Corrupt(format!(
                    "bad stored channel policy: {e}"
                )))
            })?,
            None => ChannelPolicy::default(),
        };
        let bundle = store.reference().await?;
        let mut hs_prefixes = HashSet::new();
        for e in &bundle.hs {
            for n in 1..=e.code.len() {
                if let Some(p) = e.code.get(..n) {
                    hs_prefixes.insert(p.to_owned());
                }
            }
        }
        let stage = Arc::new(CombinedStage {
            clearance: Arc::downgrade(&clearance),
            engine: RwLock::new(Arc::new(
                ProfileEngine::new(Vec::new())
                    .map_err(|e| AppError::bad_request(e.code, "", e.message))?,
            )),
            policy: RwLock::new(Arc::new(policy)),
            prearrivals: RwLock::new(HashMap::new()),
        });
        let admin = Arc::new(RiskAdmin {
            clearance,
            stage,
            hs_prefixes,
            changes: tokio::sync::Mutex::new(()),
        });
        admin.reload_engine().await?;
        let since = OffsetDateTime::now_utc() - Duration::days(PREARRIVAL_DAYS);
        {
            let recs = store.prearrivals_expected_since(since).await?;
            let mut index = admin.stage.prearrivals.write().expect("lock");
            for r in recs {
                keep_strictest(&mut index, preliminary_of(&r));
            }
        }
        admin.clearance.set_risk_stage(admin.stage.clone());
        Ok(admin)
    }

    /// The stage lodging uses.
    pub fn stage(&self) -> Arc<CombinedStage> {
        self.stage.clone()
    }

    /// Rebuilds the engine from the stored active versions. A stored
    /// version that no longer compiles is left out (and logged) rather
    /// than stopping the service.
    async fn reload_engine(&self) -> Result<(), AppError> {
        let active = self.clearance.store().active_profiles().await?;
        let mut compiled = Vec::with_capacity(active.len());
        for p in active {
            let id = p.id.clone();
            match CompiledProfile::compile(p) {
                Ok(c) => compiled.push(c),
                Err(e) => {
                    tracing::error!(profile = %id, error = %e, "active profile does not compile; left out")
                }
            }
        }
        let engine = ProfileEngine::new(compiled)
            .map_err(|e| AppError::bad_request(e.code, "", e.message))?;
        *self.stage.engine.write().expect("lock") = Arc::new(engine);
        self.clearance.set_risk_stage(self.stage.clone());
        Ok(())
    }

    async fn audit(
        &self,
        caller: &Caller,
        action: &str,
        payload: serde_json::Value,
    ) -> Result<(), AppError> {
        self.clearance
            .store()
            .append_audit(&label(caller), action, OffsetDateTime::now_utc(), &payload)
            .await?;
        Ok(())
    }

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
        self.audit(
            caller,
            "profile.activate",
            json!({"id": id, "version": number, "previous": rec.active_version}),
        )
        .await?;
        Ok(self.get(id).await?)
    }

    /// Retires a profile: no version is active any more.
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

    pub async fn policy(&self, caller: &Caller) -> Result<ChannelPolicy, AppError> {
        analyst(caller)?;
        Ok((*self.stage.policy()).clone())
    }

    pub async fn set_policy(
        &self,
        caller: &Caller,
        p: ChannelPolicy,
    ) -> Result<ChannelPolicy, AppError> {
        analyst(caller)?;
        p.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        let v = json!(p);
        self.clearance
            .store()
            .put_risk_setting(POLICY_KEY, &v)
            .await?;
        *self.stage.policy.write().expect("lock") = Arc::new(p.clone());
        self.audit(caller, "channel_policy.set", v).await?;
        Ok(p)
    }

    /// Advance cargo information from an operator: parsed, assessed at
    /// once with the active profiles, the trader's category and the
    /// channel policy (no random draw: that is made at lodging), stored,
    /// and indexed by transport document for the declaration to come.
    pub async fn submit_prearrival(
        &self,
        caller: &Caller,
        body: &serde_json::Value,
    ) -> Result<PrearrivalRecord, RiskError> {
        let Caller::Operator(op) = caller else {
            return Err(AppError::Forbidden(
                "pre-arrival information is submitted by carriers and traders".into(),
            )
            .into());
        };
        let now = OffsetDateTime::now_utc();
        let info =
            prearrival::parse(body, self.clearance.reference(), now).map_err(RiskError::Cargo)?;
        let trader = self.trader(op, now.date());
        let subject = info.subject(&trader);
        let hits = self.stage.engine().evaluate(&subject, now.date());
        let decision = channel::decide(
            Inputs {
                criteria_hits: Vec::new(),
                profile_hits: hits,
                trader: &trader,
                model_score: None,
                preliminary: None,
                draws: None,
            },
            &self.stage.policy(),
        );
        let n = self
            .clearance
            .store()
            .reserve_sequence("prearrival", 1)
            .await?;
        let rec = PrearrivalRecord {
            id: format!("PA{n:010}"),
            submitted_by: op.to_string(),
            submitted_at: now,
            channel: decision.channel,
            info,
            decision,
        };
        self.clearance.store().add_prearrival(&rec).await?;
        keep_strictest(
            &mut self.stage.prearrivals.write().expect("lock"),
            preliminary_of(&rec),
        );
        self.audit(
            caller,
            "prearrival.submit",
            json!({"id": rec.id, "transportDocument": rec.info.transport_document,
                   "office": rec.info.office_of_arrival, "channel": rec.channel}),
        )
        .await?;
        Ok(rec)
    }

    fn trader(&self, op: &Eori, today: Date) -> TraderContext {
        self.clearance.trader_context(op, today)
    }

    /// Pre-arrival information for an office of arrival (its officers,
    /// analysts, administrators), latest expected arrival first.
    pub async fn prearrivals(
        &self,
        caller: &Caller,
        office: &OfficeCode,
        limit: u32,
    ) -> Result<Vec<PrearrivalRecord>, AppError> {
        match caller {
            Caller::User(u) if u.role == Role::Officer && !u.offices.contains(office) => {
                return Err(AppError::Forbidden(format!(
                    "{} is not a member of office {office}",
                    u.username
                )))
            }
            Caller::User(u) if u.role == Role::Bank => {
                return Err(AppError::Forbidden(
                    "officers, risk analysts and administrators only".into(),
                ));
            }
            Caller::User(_) => {}
            Caller::Operator(_) => {
                return Err(AppError::Forbidden("customs users only".into()));
            }
        }
        if self.clearance.reference().office_roles(office).is_none() {
            return Err(AppError::not_found(format!("office {office}")));
        }
        Ok(self
            .clearance
            .store()
            .prearrivals(Some(office), limit.clamp(1, 500))
            .await?)
    }

    /// Effectiveness over the declarations registered in `[from, to)`,
    /// computed from their stored events.
    pub async fn analytics(
        &self,
        caller: &Caller,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<Analytics, AppError> {
        analyst(caller)?;
        let (from, to) = period(from, to, OffsetDateTime::now_utc())?;
        let events = self.clearance.store().risk_events(from, to).await?;
        Ok(analyze(from, to, &events))
    }
}

fn preliminary_of(r: &PrearrivalRecord) -> Preliminary {
    Preliminary {
        id: r.id.clone(),
        transport_document: r.info.transport_document.clone(),
        channel: r.decision.channel,
        controls: r.decision.combined.controls.clone(),
        blue: r.decision.combined.blue,
    }
}

#[derive(Default)]
struct Tally {
    hits: u64,
    controls: u64,
    findings: u64,
}

impl Tally {
    fn add(&mut self, controlled: bool, findings: bool) {
        self.hits += 1;
        self.controls += u64::from(controlled);
        self.findings += u64::from(findings);
    }
    fn figures(&self, id: String) -> ProfileEffectiveness {
        let yield_rate = (self.controls > 0).then(|| {
            (Decimal::from(self.findings) / Decimal::from(self.controls))
                .round_dp(4)
                .normalize()
        });
        let review = self.hits > 0 && self.findings == 0;
        ProfileEffectiveness {
            profile_id: id,
            hits: self.hits,
            controls: self.controls,
            findings: self.findings,
            yield_rate,
            review,
            review_reason: review.then(|| {
                if self.controls == 0 {
                    format!("{} hit(s), no control result recorded yet", self.hits)
                } else {
                    format!(
                        "{} hit(s), {} control(s), no findings",
                        self.hits, self.controls
                    )
                }
            }),
        }
    }
}

/// The analytics fold over events ordered by MRN then sequence.
pub fn analyze(
    from: OffsetDateTime,
    to: OffsetDateTime,
    events: &[tamga_core::lifecycle::Event],
) -> Analytics {
    let mut profiles: BTreeMap<String, Tally> = BTreeMap::new();
    let mut random = Tally::default();
    let mut channels: BTreeMap<Channel, (u64, Vec<i64>)> = BTreeMap::new();
    let (mut total, mut blue) = (0u64, 0u64);
    for group in events.chunk_by(|a, b| a.mrn == b.mrn) {
        let mut registered = None;
        let mut decision = None;
        let (mut controlled, mut findings) = (false, false);
        let mut released = None;
        for e in group {
            match &e.body {
                EventBody::Registered { .. } => registered = Some(e.at),
                EventBody::RiskAssessed { decision: d, .. } => decision = Some(d),
                EventBody::ControlResultRecorded { outcome, .. } => {
                    controlled = true;
                    findings |= *outcome == ControlOutcome::Findings;
                }
                EventBody::Released { .. } => released = Some(e.at),
                _ => {}
            }
        }
        let Some(d) = decision else { continue };
        total += 1;
        blue += u64::from(d.combined.blue);
        let c = channels.entry(d.channel).or_default();
        c.0 += 1;
        if let (Some(r), Some(x)) = (registered, released) {
            c.1.push((x - r).whole_seconds());
        }
        let mut seen = HashSet::new();
        for h in &d.combined.profile_hits {
            if seen.insert(h.profile_id.as_str()) {
                profiles
                    .entry(h.profile_id.clone())
                    .or_default()
                    .add(controlled, findings);
            }
        }
        if d.random.selected.is_some() {
            random.add(controlled, findings);
        }
    }
    let mut out_channels = BTreeMap::new();
    for ch in [Channel::Green, Channel::Yellow, Channel::Red] {
        let (n, mut times) = channels.remove(&ch).unwrap_or_default();
        times.sort_unstable();
        let share = if total == 0 {
            Decimal::ZERO
        } else {
            (Decimal::from(n) / Decimal::from(total))
                .round_dp(4)
                .normalize()
        };
        out_channels.insert(
            ch.as_str().to_owned(),
            ChannelFigures {
                declarations: n,
                share,
                released: times.len() as u64,
                mean_seconds_to_release: (!times.is_empty())
                    .then(|| times.iter().sum::<i64>() / times.len() as i64),
                median_seconds_to_release: times.get(times.len() / 2).copied(),
            },
        );
    }
    let profiles: Vec<ProfileEffectiveness> =
        profiles.into_iter().map(|(id, t)| t.figures(id)).collect();
    let review = profiles
        .iter()
        .filter(|p| p.review)
        .map(|p| p.profile_id.clone())
        .collect();
    Analytics {
        from,
        to,
        declarations: total,
        channels: out_channels,
        blue,
        profiles,
        random_selection: random.figures("random_selection".into()),
        review,
    }
}

/// Indexes a preliminary decision by its transport document; of several
/// for one document the strictest stays, so a later, milder submission
/// (by anyone) cannot lift a control another submission led to.
fn keep_strictest(index: &mut HashMap<String, Preliminary>, p: Preliminary) {
    match index.get(&p.transport_document) {
        Some(old)
            if old.channel > p.channel || (old.channel == p.channel && old.blue && !p.blue) => {}
        _ => {
            index.insert(p.transport_document.clone(), p);
        }
    }
}
