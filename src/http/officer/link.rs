//! The personal link: traded for a session cookie.
use super::*;
use crate::store::throttle::LINK_GUESSES;

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
    let client = state.client(peer, &request_headers).to_string();
    let too_many = |wait: i64| {
        let mut response = problem(&state, locale, StatusCode::TOO_MANY_REQUESTS, "link.too_many");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        response
    };
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    // A guesser's address is blocked for unknown tokens only: a valid link always opens (many
    // officers may share one address), and a replaced, revoked or expired link is a real one.
    let blocked = LINK_GUESSES.blocked_for(&state.db, &client, now).await?;
    let opened = match (well_formed, blocked) {
        (false, Some(wait)) => return Ok(too_many(wait)),
        (false, None) => Err(LinkProblem::Unknown),
        (true, _) => links::open_session(&state.db, &token, state.settings.links.session_hours, now).await?,
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
        Err(LinkProblem::Unknown) => {
            LINK_GUESSES.record_failure(&state.db, &client, now).await?;
            match blocked {
                Some(wait) => Ok(too_many(wait)),
                None => Ok(link_problem(&state, locale, LinkProblem::Unknown)),
            }
        }
        Err(p) => Ok(link_problem(&state, locale, p)),
    }
}
