//! The sign-in page.
use crate::error::AppError;
use askama::Template;

use crate::views::render;

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage<'a> {
    title: &'a str,
    user: Option<String>,
    csrf: String,
    login_csrf: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    next: &'a str,
}

pub fn login_page(
    login_csrf: &str,
    error: Option<&str>,
    email: &str,
    next: &str,
) -> Result<String, AppError> {
    render(&LoginPage {
        title: "Sign in",
        user: None,
        csrf: String::new(),
        login_csrf,
        error,
        email,
        next,
    })
}
