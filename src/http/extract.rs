//! Request helpers shared by the handlers.
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::domain::pledge::Locale;
use crate::i18n;

/// The page language: `?lang=`, else the `lang` cookie, else Accept-Language, else English.
#[derive(Debug, Clone, Copy)]
pub struct PageLocale(pub Locale);

fn query_lang(parts: &Parts) -> Option<String> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang=").map(String::from))
}

/// The value of cookie `name`, from any of the request's Cookie headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| {
            cookies
                .split(';')
                .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('=').map(String::from))
        })
}

fn cookie_lang(parts: &Parts) -> Option<String> {
    cookie(&parts.headers, "lang")
}

impl<S: Send + Sync> FromRequestParts<S> for PageLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let explicit = query_lang(parts).or_else(|| cookie_lang(parts));
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(PageLocale(i18n::negotiate(explicit.as_deref(), accept)))
    }
}

/// A `?lang=xx` choice is remembered in a cookie, so every later page keeps the language.
/// The page's other query parameters (search, filters, page) are kept for its language
/// links, so switching language never loses them.
pub async fn remember_language(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let chosen = query_lang(&parts).and_then(|l| Locale::parse(&l).ok());
    let kept: Vec<&str> = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            // One-shot notices ("saved", "submitted") are not carried to the other language.
            let name = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && !["lang", "saved", "submitted", "uploaded"].contains(&name)
        })
        .collect();
    let kept = kept.join("&");
    let request = Request::from_parts(parts, body);
    let mut response = crate::views::PAGE_QUERY.scope(kept, next.run(request)).await;
    if let Some(locale) = chosen {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            locale.as_str()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
