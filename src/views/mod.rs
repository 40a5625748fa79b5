//! askama page structs, mirroring `http/`. Every value is escaped by askama's HTML escaper.
pub mod officer;
pub mod public;
pub mod register;
pub mod staff;

use askama::Template;

use crate::domain::pledge::Locale;
use crate::error::{AppError, ErrorKind, generic_message};
use crate::i18n::{Messages, messages};

/// A link in the language switcher.
pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
    /// The same page in this language, with the page's own query (search, filters) kept.
    pub href: String,
}

tokio::task_local! {
    /// The query of the page being rendered, without `lang`; set for each request by
    /// `http::extract::remember_language`.
    pub static PAGE_QUERY: String;
}

pub fn language_links(current: Locale) -> Vec<LanguageLink> {
    let query = PAGE_QUERY.try_with(Clone::clone).unwrap_or_default();
    [
        (Locale::En, "English"),
        (Locale::Fr, "Français"),
        (Locale::Es, "Español"),
        (Locale::Pt, "Português"),
    ]
    .into_iter()
    .map(|(locale, name)| LanguageLink {
        code: locale.as_str(),
        name,
        current: locale == current,
        href: if query.is_empty() {
            format!("?lang={}", locale.as_str())
        } else {
            format!("?{query}&lang={}", locale.as_str())
        },
    })
    .collect()
}

/// Renders a page. A failure is a bug in a template: the user gets the 500 page (with the
/// cause logged), never a 200 with a broken or empty page.
pub fn render(template: &impl Template) -> Result<String, AppError> {
    template
        .render()
        .map_err(|e| AppError::internal(format!("template failed to render: {e}")))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: &'a str,
    status: u16,
    heading: &'a str,
    message: String,
}

pub fn error_page(error: &AppError) -> String {
    let t = messages(error.locale);
    let heading = match error.kind {
        ErrorKind::BadRequest | ErrorKind::Unprocessable | ErrorKind::PayloadTooLarge => {
            t.get("error.bad_request")
        }
        ErrorKind::Forbidden | ErrorKind::Unauthorized => t.get("error.forbidden"),
        ErrorKind::TooManyRequests => t.get("link.too_many.text"),
        ErrorKind::NotFound => t.get("error.not_found"),
        ErrorKind::Conflict => t.get("error.conflict"),
        ErrorKind::Unavailable => t.get("error.unavailable"),
        ErrorKind::Internal => t.get("error.internal"),
    };
    let message = if error.message.is_empty() {
        generic_message(error.kind).to_string()
    } else {
        error.message.clone()
    };
    // The error page itself cannot fail over to an error page: it degrades to plain text.
    ErrorPage {
        t,
        languages: language_links(error.locale),
        title: heading,
        status: error.status().as_u16(),
        heading,
        message,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "the error page failed to render");
        "Internal error while rendering this page.".into()
    })
}

#[cfg(test)]
mod tests {
    use askama::Template;
    use axum::response::{Html, IntoResponse};

    /// A value whose formatting fails, as a buggy `Display` in a template would.
    struct Broken;

    impl std::fmt::Display for Broken {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }

    #[derive(Template)]
    #[template(source = "<p>{{ value }}</p>", ext = "html")]
    struct Page {
        value: Broken,
    }

    #[test]
    fn a_page_that_fails_to_render_is_a_500_not_a_200() {
        let page = super::render(&Page { value: Broken });
        assert_eq!(page.as_ref().map_err(|e| e.kind), Err(super::ErrorKind::Internal));
        // What a handler returns: `Html(views::some_page(..))`.
        let response = Html(page).into_response();
        assert_eq!(response.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
