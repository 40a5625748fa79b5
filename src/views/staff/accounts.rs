//! The staff accounts page (admins): who can sign in, with which role, and their API tokens.
use askama::Template;

use crate::error::AppError;
use crate::views::render;

pub struct TokenLine {
    pub id: i32,
    pub made: String,
    pub last_used: String,
    /// "works until 2027-02-27", "expired", "revoked 2026-12-01".
    pub state: String,
    pub working: bool,
}

pub struct AccountLine {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: crate::domain::pledge::StaffRole,
    pub active: bool,
    /// The signed-in admin's own account: it cannot be deactivated from here.
    pub is_me: bool,
    pub tokens: Vec<TokenLine>,
}

/// What the add/reset form shows again after a refusal (never the password).
#[derive(Default)]
pub struct AccountTyped {
    pub email: String,
    pub name: String,
    pub role: String,
    pub reactivate: bool,
}

#[derive(Template)]
#[template(path = "staff/accounts.html")]
struct AccountsPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    accounts: Vec<AccountLine>,
    notice: Option<String>,
    error: Option<String>,
    /// A token just made, shown this once: (account e-mail, token).
    new_token: Option<(String, String)>,
    typed: AccountTyped,
    roles: &'static [crate::domain::pledge::StaffRole],
    min_password: usize,
}

pub struct AccountsView {
    pub user: String,
    pub csrf: String,
    pub accounts: Vec<AccountLine>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub new_token: Option<(String, String)>,
    pub typed: AccountTyped,
}

pub fn accounts_page(v: AccountsView) -> Result<String, AppError> {
    render(&AccountsPage {
        title: "Staff accounts",
        user: Some(v.user),
        csrf: v.csrf,
        accounts: v.accounts,
        notice: v.notice,
        error: v.error,
        new_token: v.new_token,
        typed: v.typed,
        roles: crate::domain::pledge::StaffRole::ALL,
        min_password: crate::domain::access::MIN_PASSWORD_CHARS,
    })
}
