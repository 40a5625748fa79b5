//! The staff accounts page: the admin's side of `pledgeflow staff …` (list, add or reset,
//! deactivate, API tokens), each action audited under the admin's name.
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::staff::{SignedIn, StaffForm, need};
use crate::domain::pledge::{StaffRole, parse_email};
use crate::error::AppError;
use crate::store::audit::Actor;
use crate::store::{self, ActionError};
use crate::views::staff::{self as views, AccountLine, AccountTyped, AccountsView, TokenLine};

#[derive(Debug, Deserialize)]
pub struct AccountsQuery {
    done: Option<String>,
}

/// The page, with a notice, an error or a new token shown once.
async fn page(
    state: &AppState,
    access: &store::staff::StaffAccess,
    status: axum::http::StatusCode,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<(String, String)>,
    typed: AccountTyped,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    // Every account's tokens in one query, not one query per account.
    let mut tokens_of: std::collections::HashMap<i32, Vec<TokenLine>> = std::collections::HashMap::new();
    for t in store::staff::api_tokens(&state.db, None).await? {
        let standing = crate::domain::access::TokenStanding::of(t.created_at, t.revoked_at, now);
        tokens_of.entry(t.staff_user_id).or_default().push(TokenLine {
            id: t.id,
            made: t.created_at.format("%Y-%m-%d").to_string(),
            last_used: t
                .last_used_at
                .map_or("never".into(), |at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
            state: standing.to_string(),
            working: standing.works(),
        });
    }
    let mut accounts = Vec::new();
    for user in store::staff::list(&state.db).await? {
        let tokens = tokens_of.remove(&user.id).unwrap_or_default();
        accounts.push(AccountLine {
            id: user.id,
            is_me: user.id == access.user.id,
            role: user.staff_role(),
            email: user.email,
            name: user.name,
            active: user.active,
            tokens,
        });
    }
    let html = views::accounts_page(AccountsView {
        user: access.user.email.clone(),
        csrf: access.csrf_token.clone(),
        accounts,
        notice,
        error,
        new_token,
        typed,
    });
    // Never cached (it may hold a new token): every /review answer is `no-store`.
    Ok(super::html_page(status, html))
}

/// `GET /review/staff` (admins).
pub async fn list(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::Administer>,
    Query(query): Query<AccountsQuery>,
) -> Result<Response, AppError> {
    let notice = match query.done.as_deref() {
        Some("created") => Some("The account is created; it can sign in now."),
        Some("updated") => Some("The account is saved; its other sessions have ended."),
        Some("deactivated") => {
            Some("The account is deactivated: signed out everywhere, its API tokens revoked.")
        }
        Some("revoked") => Some("The token is revoked."),
        _ => None,
    };
    page(
        &state,
        &access,
        axum::http::StatusCode::OK,
        notice.map(String::from),
        None,
        None,
        AccountTyped::default(),
    )
    .await
}

/// `POST /review/staff` with `email`, `name`, `role`, `password`, `reactivate`: add or reset.
pub async fn save(
    State(state): State<AppState>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let typed = AccountTyped {
        email: form.get("email").to_string(),
        name: form.get("name").to_string(),
        role: form.get("role").to_string(),
        reactivate: form.get("reactivate") == "yes",
    };
    // As typed: spaces at either end are part of a password.
    let password = form
        .fields
        .get("password")
        .and_then(|v| v.last())
        .cloned()
        .unwrap_or_default();
    let checked = (|| {
        let email = parse_email(&typed.email)?;
        let name = crate::domain::text::one_line(&typed.name);
        if name.is_empty() || name.chars().count() > 200 {
            return Err("the name must have 1 to 200 characters".to_string());
        }
        let role = StaffRole::parse(&typed.role)?;
        crate::domain::access::check_new_password(&password)?;
        Ok((email, name, role))
    })();
    let refuse = |message: String, typed: AccountTyped| {
        page(
            &state,
            &form.access,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(message),
            None,
            typed,
        )
    };
    let (email, name, role) = match checked {
        Ok(c) => c,
        Err(message) => return refuse(message, typed).await,
    };
    // argon2 takes a while and much memory: off the async threads.
    let hash = tokio::task::spawn_blocking(move || password_auth::generate_hash(password.as_bytes()))
        .await
        .map_err(AppError::internal)?;
    let actor = Actor::Staff(form.access.user.id);
    match store::staff::save_account(
        &state.db,
        &email,
        &name,
        role,
        hash,
        typed.reactivate,
        actor,
        state.clock.now(),
    )
    .await
    {
        Ok((_, created)) => Ok(Redirect::to(&format!(
            "/review/staff?done={}",
            if created { "created" } else { "updated" }
        ))
        .into_response()),
        Err(ActionError::Refused(message)) => {
            refuse(
                format!("{message}: tick “Bring back a deactivated account”."),
                typed,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The account `id`, or a 404 naming it.
async fn account(state: &AppState, id: i32) -> Result<crate::entities::staff_user::Model, AppError> {
    use sea_orm::EntityTrait;
    crate::entities::staff_user::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no staff account {id}")))
}

/// `POST /review/staff/{id}/deactivate` with `confirm=yes`.
pub async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let user = account(&state, id).await?;
    if user.id == form.access.user.id {
        return Err(AppError::conflict(
            "you cannot deactivate your own account; ask another admin",
        ));
    }
    if form.get("confirm") != "yes" {
        return Err(AppError::unprocessable(
            "tick the box to confirm: deactivating signs the account out everywhere",
        ));
    }
    let actor = Actor::Staff(form.access.user.id);
    store::staff::deactivate_account(&state.db, &user.email, actor, state.clock.now()).await?;
    Ok(Redirect::to("/review/staff?done=deactivated").into_response())
}

/// `POST /review/staff/{id}/tokens`: a new API token, shown once on the page that answers.
pub async fn new_token(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let user = account(&state, id).await?;
    if !user.active {
        return Err(AppError::conflict(format!(
            "{} is deactivated; it gets no token",
            user.email
        )));
    }
    let actor = Actor::Staff(form.access.user.id);
    let token = store::staff::issue_api_token(&state.db, user.id, actor, state.clock.now()).await?;
    page(
        &state,
        &form.access,
        axum::http::StatusCode::OK,
        None,
        None,
        Some((user.email, token)),
        AccountTyped::default(),
    )
    .await
}

/// `POST /review/staff/{id}/tokens/{token}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path((id, token)): Path<(i32, i32)>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let user = account(&state, id).await?;
    let actor = Actor::Staff(form.access.user.id);
    store::staff::end_api_token(&state.db, user.id, token, actor, state.clock.now()).await?;
    Ok(Redirect::to("/review/staff?done=revoked").into_response())
}
