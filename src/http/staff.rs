//! Secretariat sign-in: password login (argon2id), server-side sessions, CSRF on every form,
//! failed attempts limited per account and per address.
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::extract::cookie;
use super::{AppState, form_body};
use crate::domain::access::allows;
use crate::error::AppError;
use crate::store::staff::{self, StaffAccess};
use crate::store::throttle::{ACCOUNT_ATTEMPTS, ADDRESS_FAILURES};
use crate::views::staff as views;

pub const SESSION_COOKIE: &str = "pf_staff";
const LOGIN_CSRF_COOKIE: &str = "pf_login_csrf";
const SESSION_HOURS: i64 = 8;

fn secure(state: &AppState) -> &'static str {
    if state.settings.server.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// The signed-in staff member, if any.
pub struct Staff(pub Option<StaffAccess>);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Staff(None));
        };
        Ok(Staff(
            staff::find_session(&state.db, &token, state.clock.now()).await?,
        ))
    }
}

/// What a route needs of the staff member's role, as a type, so a handler's signature says
/// who may call it: `SignedIn<need::Review>`, `StaffForm<need::Administer>`.
pub mod need {
    use crate::domain::access::Permission;

    pub trait Need: Send + Sync + 'static {
        const PERMISSION: Permission;
    }

    macro_rules! needs {
        ($($name:ident),+) => {$(
            pub struct $name;
            impl Need for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )+};
    }

    needs!(View, Review, Publish, Administer);
}

/// A signed-in staff member whose role allows `N`. Rejected with the sign-in page for
/// nobody and a "not allowed" page for a role that falls short.
pub struct SignedIn<N: need::Need> {
    pub access: StaffAccess,
    _need: std::marker::PhantomData<N>,
}

impl<N: need::Need> FromRequestParts<AppState> for SignedIn<N> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Staff(signed_in) = Staff::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(access) = signed_in else {
            // After signing in, the user comes back to the page they asked for.
            let asked = parts.uri.path_and_query().map_or("/review", |p| p.as_str());
            let login = if parts.method == axum::http::Method::GET && asked != "/review" {
                format!("/login?next={}", super::encode(asked))
            } else {
                "/login".into()
            };
            return Err(Redirect::to(&login).into_response());
        };
        let role = access.user.staff_role();
        if !allows(role, N::PERMISSION) {
            let message = format!(
                "Your role ({role}) does not allow this. Ask an administrator of the secretariat if you need it."
            );
            return Err(AppError::forbidden(message).into_response());
        }
        Ok(SignedIn {
            access,
            _need: std::marker::PhantomData,
        })
    }
}

/// Checks the `_csrf` field of a staff form against the session.
fn check_csrf(
    access: &StaffAccess,
    grouped: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<(), AppError> {
    let sent = grouped
        .get("_csrf")
        .and_then(|v| v.last())
        .map(String::as_str)
        .unwrap_or_default();
    if crate::tokens::same(sent, &access.csrf_token) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "This form has expired or did not come from this site. Reload the page and try again; nothing was changed.",
        ))
    }
}

/// A staff form that passed the role check for `N` and the CSRF check: who sent it, and its
/// fields. It reads the body, so it is a handler's last argument.
pub struct StaffForm<N: need::Need = need::View> {
    pub access: StaffAccess,
    pub fields: std::collections::BTreeMap<String, Vec<String>>,
    _need: std::marker::PhantomData<N>,
}

impl<N: need::Need> axum::extract::FromRequest<AppState> for StaffForm<N> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn { access, .. } = SignedIn::<N>::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields = form_body::parse(&body)
            .map(form_body::group)
            .map_err(|f| AppError::bad_request(format!("{f} is not valid UTF-8")).into_response())?;
        check_csrf(&access, &fields).map_err(IntoResponse::into_response)?;
        Ok(StaffForm {
            access,
            fields,
            _need: std::marker::PhantomData,
        })
    }
}

impl<N: need::Need> StaffForm<N> {
    /// The last value sent for `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .and_then(|v| v.last())
            .map(|s| s.trim())
            .unwrap_or_default()
    }

    /// The value sent for `name`, or `default` when the form has no such field at all.
    pub fn get_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        if self.fields.contains_key(name) {
            self.get(name)
        } else {
            default
        }
    }

    /// Every non-empty value sent for `name` (checkbox groups, multi-selects).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn staff_id(&self) -> Option<i32> {
        Some(self.access.user.id)
    }

    /// The form as a typed input, checked by its `validator` rules; the Err is the refusal to
    /// show beside the form, naming each wrong field.
    pub fn input<T>(&self) -> Result<T, String>
    where
        T: serde::de::DeserializeOwned + validator::Validate + super::input::FieldOrder,
    {
        let fields: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .filter_map(|(k, v)| {
                v.last()
                    .map(|last| (k.clone(), serde_json::Value::String(last.clone())))
            })
            .collect();
        let input: T = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| format!("This form could not be read: {e}."))?;
        input
            .validate()
            .map_err(|errors| super::input::refusal(&errors, T::FIELDS))?;
        Ok(input)
    }
}

/// Where to go after signing in: a page of the secretariat's workspace, never another site.
fn safe_next(next: &str) -> &str {
    let inside = next.starts_with("/review") && !next.contains("//") && !next.contains('\\');
    if inside && !next.chars().any(char::is_control) {
        next
    } else {
        "/review"
    }
}

fn login_page(status: StatusCode, error: Option<&str>, email: &str, next: &str) -> Response {
    let csrf = crate::tokens::new_token();
    let mut response = super::html_page(status, views::login_page(&csrf, error, email, safe_next(next)));
    let value = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn show_login(
    staff: Staff,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or_default());
    if staff.0.is_some() {
        return Redirect::to(next).into_response();
    }
    login_page(StatusCode::OK, None, "", next)
}

/// `POST /login` with `email`, `password` and `_csrf` (double-submitted in a cookie).
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let grouped = form_body::group(
        form_body::parse(&body).map_err(|f| AppError::bad_request(format!("{f} is not valid UTF-8")))?,
    );
    let field = |k: &str| grouped.get(k).and_then(|v| v.last()).cloned().unwrap_or_default();
    let email = field("email").trim().to_ascii_lowercase();
    let next = field("next");
    let expected_csrf = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected_csrf.is_empty() || !crate::tokens::same(&field("_csrf"), &expected_csrf) {
        return Ok(login_page(
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired. Please try again."),
            &email,
            &next,
        ));
    }
    let address = format!("address:{}", state.client(peer, &headers));
    let account = format!("account:{email}");
    let too_many = |wait: i64| {
        let mut response = login_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed attempts. Try again in {} minutes.",
                (wait + 59) / 60
            )),
            &email,
            &next,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        response
    };
    // The account's attempt is counted before the password is checked, so a burst of
    // simultaneous guesses gets no more checks than the limit; a success gives it back.
    let reserved = match ACCOUNT_ATTEMPTS.reserve(&state.db, &account, now).await? {
        Ok(reserved) => reserved,
        Err(wait) => return Ok(too_many(wait)),
    };
    // A full address bucket (many people behind one proxy, or someone guessing) does not
    // refuse correct credentials: only a wrong password is then refused as "too many".
    let address_blocked = ADDRESS_FAILURES.blocked_for(&state.db, &address, now).await?;
    let user = staff::find_staff(&state.db, &email).await?.filter(|u| u.active);
    let password = field("password");
    // Verifying costs the same whether or not the account exists, so timing tells nothing.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let valid = state.password_checks.verify(password, hash).await?;
    let Some(user) = user.filter(|_| valid) else {
        ADDRESS_FAILURES.record_failure(&state.db, &address, now).await?;
        tracing::warn!(email, "failed sign-in");
        if let Some(wait) = address_blocked {
            return Ok(too_many(wait));
        }
        return Ok(login_page(
            StatusCode::UNAUTHORIZED,
            Some("The e-mail address or the password is wrong."),
            &email,
            &next,
        ));
    };
    ACCOUNT_ATTEMPTS.refund(&state.db, reserved).await?;
    let (token, _) = staff::open_session(&state.db, user, SESSION_HOURS, now).await?;
    let mut response = Redirect::to(safe_next(&next)).into_response();
    let session = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_HOURS * 3600,
        secure(&state)
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&session).map_err(AppError::internal)?,
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("pf_login_csrf=; Path=/login; Max-Age=0"),
    );
    Ok(response)
}

/// An argon2id hash of a random password, verified against when the account does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(crate::tokens::new_token()))
}

pub async fn logout(State(state): State<AppState>, form: StaffForm) -> Result<Response, AppError> {
    staff::close_session(&state.db, form.access.session_id).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("pf_staff=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    Ok(response)
}
