//! The personal link: traded for a session cookie.
use super::*;

/// `GET /u/{token}`: trades the token for a session cookie and sends the browser on, so the
/// token never stays in the address bar, the history or a Referer header.
pub async fn open_link(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let client = peer.ip().to_string();
    if let Some(wait) = state.link_limiter.blocked_for(&client, now) {
        let mut response = problem(&state, locale, StatusCode::TOO_MANY_REQUESTS, "link.too_many");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(response);
    }
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let opened = if well_formed {
        links::open_session(&state.db, &token, state.settings.links.session_hours, now).await?
    } else {
        Err(LinkProblem::Unknown)
    };
    match opened {
        Ok((session_token, access)) => {
            let secure = if state.settings.server.base_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={session_token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                state.settings.links.session_hours * 3600
            );
            let mut response = Redirect::to(&format!("/updates/{}", access.request.id)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
            );
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            // The form opens in the contact's language, unless this browser already chose one.
            let chose_language = crate::http::extract::cookie(&request_headers, "lang").is_some();
            if !chose_language && let Ok(contact_locale) = Locale::parse(&access.contact.locale) {
                let lang = format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
                    contact_locale.as_str()
                );
                headers.append(
                    header::SET_COOKIE,
                    HeaderValue::from_str(&lang).map_err(AppError::internal)?,
                );
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(p) => {
            state.link_limiter.record_failure(&client, now);
            Ok(link_problem(&state, locale, p))
        }
    }
}
