//! JSON API, `/api/v1`. The register endpoints are public, like the register pages; the
//! secretariat's data (campaigns, requests, revisions, exports) needs a bearer API token
//! (`pledgeflow staff token EMAIL`). The OpenAPI document is generated from these handlers.
use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::domain::export::Target;
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AppState;
use super::register::RegisterQuery;
use crate::domain::dashboard::{self, ListQuery};
use crate::domain::request::CampaignState;
use crate::entities::{campaign, staff_user, update_request};
use crate::error::{ApiError, AppError};
use crate::store::register_query::{self, PledgeView};
use crate::store::throttle::ADDRESS_FAILURES;

/// A caller holding a valid API token: the staff account it belongs to.
pub struct ApiClient(pub staff_user::Model);

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let now = state.clock.now();
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| format!("api:{}", state.client(c.0, &parts.headers)))
            .unwrap_or_else(|| "api:unknown".into());
        let blocked = ADDRESS_FAILURES
            .blocked_for(&state.db, &address, now)
            .await
            .map_err(|e| ApiError(e.into()).into_response())?;
        if let Some(seconds) = blocked {
            let mut response = ApiError(AppError::too_many(format!(
                "too many invalid API tokens from this address; try again in {seconds} s"
            )))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(response);
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        let unauthorized = |message: &str| {
            let mut response = ApiError(AppError::unauthorized(message)).into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        };
        if token.is_empty() {
            return Err(unauthorized(
                "send an API token: Authorization: Bearer pf_… (make one with `pledgeflow staff token EMAIL`)",
            ));
        }
        match crate::store::staff::find_api_token(&state.db, token, now).await {
            Ok(Some(user)) => Ok(ApiClient(user)),
            Ok(None) => {
                if let Err(e) = ADDRESS_FAILURES.record_failure(&state.db, &address, now).await {
                    return Err(ApiError(e.into()).into_response());
                }
                Err(unauthorized("this API token is unknown or revoked"))
            }
            Err(e) => Err(ApiError(e.into()).into_response()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PledgeList {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<PledgeView>,
}

#[derive(Debug, Deserialize)]
pub struct PledgeQuery {
    scope: Option<String>,
    priority: Option<String>,
    region: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The register's pledges, filtered and paged (public).
#[utoipa::path(
    get,
    path = "/api/v1/pledges",
    params(
        ("scope" = Option<ScopeCode>, Query),
        ("priority" = Option<PriorityCode>, Query),
        ("region" = Option<RegionCode>, Query),
        ("q" = Option<String>, Query, max_length = 200, pattern = r"^[^\x00]*$", description = "words in the title, organization or reference (no NUL character)"),
        ("page" = Option<u64>, Query, minimum = 1, description = "from 1"),
        ("per_page" = Option<u64>, Query, minimum = 1, maximum = 200, description = "at most 200"),
    ),
    responses((status = 200, body = PledgeList), (status = 400, body = ErrorBody)),
    tag = "register"
)]
pub async fn list_pledges(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PledgeQuery>,
) -> Result<Json<PledgeList>, ApiError> {
    // The page's query takes what a form sends (blank, spaced); the API takes numbers only.
    let query = RegisterQuery {
        scope: query.scope,
        priority: query.priority,
        region: query.region,
        q: query.q,
        page: query.page.map(|n| n.to_string()),
        per_page: query.per_page.map(|n| n.to_string()),
    };
    let filter = query.filter()?;
    let page = query.page(50)?;
    let (total, items) = register_query::list_pledges(&state.db, &filter, page).await?;
    Ok(Json(PledgeList {
        total,
        page: page.number,
        per_page: page.size,
        items,
    }))
}

/// One pledge of the register (public).
#[utoipa::path(
    get,
    path = "/api/v1/pledges/{reference}",
    params(("reference" = String, Path, description = "e.g. CLA-2025-0001")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    tag = "register"
)]
pub async fn get_pledge(
    State(state): State<AppState>,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<PledgeView>, ApiError> {
    let pledge = register_query::find_pledge(&state.db, &reference)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no pledge {reference}")))?;
    Ok(Json(pledge))
}

/// What every API error looks like.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub status: u16,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: i32,
    pub name: String,
    /// draft | open | closed
    pub state: String,
    pub opens_at: DateTime<Utc>,
    pub deadline: NaiveDate,
    pub requests: u32,
    /// Requests per state, and `overdue` (derived).
    pub counts: BTreeMap<String, u32>,
}

async fn campaign_out(state: &AppState, c: campaign::Model) -> Result<CampaignOut, ApiError> {
    let tally = crate::store::dashboard::summary(&state.db, &state.dashboards, &c)
        .await?
        .tally(state.clock.now());
    Ok(CampaignOut {
        id: c.id,
        name: c.name,
        state: CampaignState::from(c.state).to_string(),
        opens_at: c.opens_at,
        deadline: c.deadline,
        requests: tally.total,
        counts: dashboard::COLUMNS
            .iter()
            .map(|col| (col.to_string(), tally.get(col)))
            .collect(),
    })
}

/// Every campaign, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    responses((status = 200, body = [CampaignOut]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn list_campaigns(
    State(state): State<AppState>,
    _client: ApiClient,
) -> Result<Json<Vec<CampaignOut>>, ApiError> {
    let mut out = Vec::new();
    for c in crate::store::dashboard::campaigns(&state.db).await? {
        out.push(campaign_out(&state, c).await?);
    }
    Ok(Json(out))
}

async fn find_campaign(state: &AppState, id: i32) -> Result<campaign::Model, ApiError> {
    Ok(campaign::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no campaign {id}")))?)
}

/// One campaign with its counts.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    params(("id" = i32, Path)),
    responses((status = 200, body = CampaignOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn get_campaign(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<CampaignOut>, ApiError> {
    let c = find_campaign(&state, id).await?;
    Ok(Json(campaign_out(&state, c).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOut {
    pub id: i32,
    pub campaign_id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub region: String,
    pub compact_scope: String,
    pub state: String,
    pub overdue: bool,
    pub deadline: NaiveDate,
    pub reviewer: Option<String>,
    pub last_activity: Option<DateTime<Utc>>,
    pub last_mail_kind: Option<String>,
    pub last_mail_at: Option<DateTime<Utc>>,
    pub last_reminder_at: Option<DateTime<Utc>>,
    /// The day the next reminder step is due (sent in office hours of the officer's zone).
    pub next_reminder_on: Option<NaiveDate>,
    /// No contact can be reached (all bounced or deactivated).
    pub unreachable: bool,
}

fn request_out(campaign_id: i32, r: &dashboard::DashboardRow, now: DateTime<Utc>) -> RequestOut {
    RequestOut {
        id: r.request_id,
        campaign_id,
        reference: r.reference.clone(),
        title: r.title.clone(),
        organization: r.organization.clone(),
        region: r.region.clone(),
        compact_scope: r.scope.clone(),
        state: r.state.as_str().into(),
        overdue: r.is_overdue(now),
        deadline: r.deadline,
        reviewer: r.reviewer.clone(),
        last_activity: r.last_activity,
        last_mail_kind: r.last_mail.as_ref().map(|m| m.0.to_string()),
        last_mail_at: r.last_mail.as_ref().map(|m| m.1),
        last_reminder_at: r.last_reminder,
        next_reminder_on: r.next_reminder.map(|n| n.0),
        unreachable: r.unreachable,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    #[param(value_type = Option<RequestStateFilter>)]
    pub state: Option<String>,
    #[param(value_type = Option<RegionCode>)]
    pub region: Option<String>,
    #[param(value_type = Option<ScopeCode>)]
    pub scope: Option<String>,
    /// Words in the reference, title or organization (no NUL character: no field stores one).
    #[param(pattern = r"^[^\x00]*$", max_length = 200)]
    pub q: Option<String>,
}

/// The campaign's requests, filtered, by reference.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/requests",
    params(("id" = i32, Path), RequestFilter),
    responses((status = 200, body = [RequestOut]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn list_requests(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i32>,
    ApiQuery(filter): ApiQuery<RequestFilter>,
) -> Result<Json<Vec<RequestOut>>, ApiError> {
    let c = find_campaign(&state, id).await?;
    let now = state.clock.now();
    let query = ListQuery {
        state: filter.state,
        region: filter.region,
        scope: filter.scope,
        search: filter.q,
        sort: None,
        descending: false,
    }
    .checked()
    .map_err(AppError::bad_request)?;
    let zones = &crate::store::dashboard::summary(&state.db, &state.dashboards, &c)
        .await?
        .zones;
    let (_, rows) =
        crate::store::dashboard::list(&state.db, &c, &query, None, zones, &state.reminder_policy, now)
            .await?;
    Ok(Json(rows.iter().map(|r| request_out(id, r, now)).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewOut {
    pub id: i32,
    pub state: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub timezone: Option<String>,
    pub mode: Option<String>,
    pub interviewer: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestOut,
    pub revisions: usize,
    pub interviews: Vec<InterviewOut>,
}

async fn find_request(state: &AppState, id: i32) -> Result<update_request::Model, ApiError> {
    Ok(update_request::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no update request {id}")))?)
}

/// One request with its interviews.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}",
    params(("id" = i32, Path)),
    responses((status = 200, body = RequestDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn get_request(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<RequestDetail>, ApiError> {
    let request = find_request(&state, id).await?;
    let c = find_campaign(&state, request.campaign_id).await?;
    let now = state.clock.now();
    let rows = crate::store::dashboard::rows(&state.db, &c, Some(&[id]), &state.reminder_policy, now).await?;
    let row = rows
        .iter()
        .find(|r| r.request_id == id)
        .ok_or_else(|| AppError::not_found(format!("there is no update request {id}")))?;
    let revisions = crate::store::review::revisions(&state.db, id).await?.len();
    let interviews = crate::store::interviews::for_request(&state.db, id)
        .await?
        .into_iter()
        .map(|i| InterviewOut {
            id: i.id,
            state: i.interview_state().to_string(),
            scheduled_at: i.scheduled_at,
            timezone: i.timezone,
            mode: i.mode,
            interviewer: i.interviewer,
        })
        .collect();
    Ok(Json(RequestDetail {
        request: request_out(c.id, row, now),
        revisions,
        interviews,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionOut {
    pub number: i32,
    pub submitted_at: DateTime<Utc>,
    /// Field key → answer (a string, or a list of strings).
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// What the requirement profiles found at submission.
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
}

/// Every submitted revision of a request, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}/revisions",
    params(("id" = i32, Path)),
    responses((status = 200, body = [RevisionOut]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn list_revisions(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<Vec<RevisionOut>>, ApiError> {
    find_request(&state, id).await?;
    let mut out = Vec::new();
    for r in crate::store::review::revisions(&state.db, id).await? {
        let answers = crate::store::drafts::revision_answers(&r)?;
        out.push(RevisionOut {
            number: r.number,
            submitted_at: r.submitted_at,
            answers: serde_json::to_value(&answers.0).map_err(AppError::internal)?,
            findings: serde_json::from_str(&r.findings).map_err(AppError::internal)?,
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportTarget {
    #[param(value_type = Option<TargetCode>)]
    pub target: Option<String>,
    /// true: every approved update of every cycle; by default each pledge's latest one.
    pub all_cycles: Option<bool>,
}

/// Approved and published updates as CSV, XLSX or JSON, streamed.
#[utoipa::path(
    get,
    path = "/api/v1/exports/{file}",
    params(("file" = ExportFile, Path), ExportTarget),
    responses(
        (status = 200, description = "the export: text/csv, an XLSX workbook or application/json"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    ),
    security(("api_token" = [])),
    tag = "secretariat"
)]
pub async fn export(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(file): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExportTarget>,
) -> Result<Response, ApiError> {
    let response = super::public::export_response(
        &state,
        &file,
        query.target.as_deref(),
        query.all_cycles.unwrap_or(false),
        false,
        (client.0.id, "api"),
    )
    .await?;
    Ok(response)
}

/// `Path` with the API's JSON error shape: a malformed path parameter (say an id too large
/// for the column) is a 400 the client can read, not axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|e| AppError::bad_request(e.body_text()).into())
    }
}

/// `Query` with the API's JSON error shape.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|e| AppError::bad_request(e.body_text()).into())
    }
}

/// Documents a closed list of codes as a string enum, made from the very list the server
/// checks a value against, so the document and the check cannot disagree.
macro_rules! code_schema {
    ($name:ident, $description:literal, $codes:expr) => {
        code_schema!($name, $description, $codes, std::iter::empty::<&str>());
    };
    // Filters also take an empty value, meaning "any" (what a form's blank choice sends).
    ($name:ident, $description:literal, $codes:expr, any) => {
        code_schema!($name, $description, $codes, std::iter::once(""));
    };
    ($name:ident, $description:literal, $codes:expr, $first:expr) => {
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .enum_values(Some(
                        $first
                            .map(String::from)
                            .chain($codes.into_iter().map(String::from)),
                    ))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

code_schema!(
    ScopeCode,
    "A compact scope; empty means any.",
    crate::domain::pledge::CompactScope::ALL.map(|s| s.as_str()),
    any
);
code_schema!(
    PriorityCode,
    "One of the Call to Local Action's eight priorities; empty means any.",
    crate::domain::reference::PRIORITIES.iter().map(|(code, _)| *code),
    any
);
code_schema!(
    RegionCode,
    "A region; empty means any.",
    crate::domain::reference::REGIONS.iter().map(|(code, _)| *code),
    any
);
code_schema!(
    RequestStateFilter,
    "A request state, `overdue` (past its deadline and still waiting on the officer) or `unreachable` (every contact bounced); empty means any.",
    crate::domain::request::RequestState::ALL
        .iter()
        .map(|s| s.as_str())
        .chain(["overdue", "unreachable"]),
    any
);
code_schema!(
    TargetCode,
    "Which updates: all, the GCR's (GCR and Mirror pledges) or the GCM's (GCM and Mirror pledges).",
    crate::domain::export::Target::ALL.map(|t| t.as_str())
);
code_schema!(
    ExportFile,
    "The export's format, by file name.",
    super::public::EXPORT_FILES.iter().map(|(name, _)| *name)
);
code_schema!(
    SchemaFile,
    "The JSON Schema of one export target.",
    crate::domain::export::Target::ALL.map(|t| format!("export-{}.schema.json", t.as_str()))
);

#[derive(OpenApi)]
#[openapi(
    info(title = "pledgeflow API", description = "Pledge updates of the Call to Local Action for Migrants and Refugees."),
    components(schemas(
        PledgeList, ErrorBody, ErrorDetail, CampaignOut, RequestOut, RequestDetail, InterviewOut, RevisionOut,
        ScopeCode, PriorityCode, RegionCode, RequestStateFilter, TargetCode, ExportFile, SchemaFile
    )),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

/// The API's routes and its document from one list: each handler brings its own
/// `#[utoipa::path]`, so a route cannot be served undocumented or documented unserved.
pub fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa_axum::{router::OpenApiRouter, routes};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_pledges))
        .routes(routes!(get_pledge))
        .routes(routes!(list_campaigns))
        .routes(routes!(get_campaign))
        .routes(routes!(list_requests))
        .routes(routes!(get_request))
        .routes(routes!(list_revisions))
        .routes(routes!(export))
        .routes(routes!(export_schema))
        .split_for_parts()
}

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`: the generated document, with the JSON export's body described by
/// the JSON Schema of each target (the ones shipped in `schemas/`, also served at
/// `/api/v1/schemas/…`), kept as components so that the document stands on its own.
pub async fn openapi() -> Json<serde_json::Value> {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(document).clone())
}

fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(routes().1).unwrap_or_default();
    let targets = [Target::All, Target::Gcr, Target::Gcm];
    let component = |t: &Target| format!("Export{}", t.name().to_ascii_uppercase());
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for t in &targets {
            schemas.insert(component(t), crate::domain::export::schema(*t));
        }
    }
    if let Some(ok) = doc.pointer_mut("/paths/~1api~1v1~1exports~1{file}/get/responses/200") {
        ok["content"] = serde_json::json!({
            "application/json": {"schema": {"oneOf": targets
                .iter()
                .map(|t| serde_json::json!({"$ref": format!("#/components/schemas/{}", component(t))}))
                .collect::<Vec<_>>()}},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
        });
    }
    doc
}

/// The JSON Schema (2020-12) of a target's JSON export: `export-all`, `export-gcr` or `export-gcm`.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{file}",
    params(("file" = SchemaFile, Path)),
    responses(
        (status = 200, description = "the JSON Schema", content_type = "application/schema+json"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)
    ),
    tag = "exports"
)]
pub async fn export_schema(ApiPath(file): ApiPath<String>) -> Result<Response, ApiError> {
    let target = file
        .strip_prefix("export-")
        .and_then(|f| f.strip_suffix(".schema.json"))
        .and_then(|t| Target::parse(t).ok())
        .ok_or_else(|| AppError::not_found(format!("no schema {file}; try export-gcr.schema.json")))?;
    let body =
        serde_json::to_vec_pretty(&crate::domain::export::schema(target)).map_err(AppError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/schema+json"),
        )],
        body,
    )
        .into_response())
}
