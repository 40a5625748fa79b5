//! The public, read-only register pages.
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::{AppState, PageLocale};
use crate::domain::pledge::CompactScope;
use crate::domain::reference::{REGIONS, Scheme};
use crate::error::AppError;
use crate::store::register_query::{self, Page, PledgeFilter};
use crate::views;

const PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

/// Register filters as they arrive in the query string. Everything is text here, so a bad
/// value gets our own precise message rather than a generic rejection.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    pub scope: Option<String>,
    pub priority: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl RegisterQuery {
    pub fn filter(&self) -> Result<PledgeFilter, AppError> {
        let present = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let scope = present(&self.scope)
            .map(|s| CompactScope::parse(&s))
            .transpose()
            .map_err(AppError::bad_request)?;
        let priority = present(&self.priority);
        if let Some(p) = &priority
            && !Scheme::Priority.contains(p)
        {
            return Err(AppError::bad_request(format!(
                "priority `{p}` is not {}",
                Scheme::Priority.expected()
            )));
        }
        let region = present(&self.region);
        if let Some(r) = &region
            && !REGIONS.iter().any(|(code, _)| code == r)
        {
            let codes: Vec<&str> = REGIONS.iter().map(|(c, _)| *c).collect();
            return Err(AppError::bad_request(format!(
                "region `{r}` is not one of {}",
                codes.join(", ")
            )));
        }
        let q = present(&self.q);
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(AppError::bad_request(
                "the search text is longer than 200 characters",
            ));
        }
        Ok(PledgeFilter {
            scope,
            priority,
            region,
            q,
        })
    }

    pub fn page(&self, default_size: u64) -> Result<Page, AppError> {
        let number = parse_positive("page", self.page.as_deref(), 1, i64::MAX as u64)?;
        let size = parse_positive("per_page", self.per_page.as_deref(), default_size, MAX_PAGE_SIZE)?;
        Ok(Page { number, size })
    }
}

fn parse_positive(name: &str, raw: Option<&str>, default: u64, max: u64) -> Result<u64, AppError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                AppError::bad_request(format!("{name} `{v}` must be a whole number from 1 to {max}"))
            }),
    }
}

pub async fn pledges_page(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    Query(query): Query<RegisterQuery>,
) -> Result<Html<String>, AppError> {
    let result = async {
        let filter = query.filter()?;
        let page = query.page(PAGE_SIZE)?;
        let (total, pledges) = register_query::list_pledges(&state.db, &filter, page).await?;
        let (organization_count, pledge_count) = register_query::register_totals(&state.db).await?;
        views::register::pledges_page(
            locale,
            &filter,
            page,
            total,
            &pledges,
            organization_count,
            pledge_count,
        )
    };
    result.await.map(Html).map_err(|e| e.in_locale(locale))
}

pub async fn organizations_page(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    Query(query): Query<RegisterQuery>,
) -> Result<Html<String>, AppError> {
    let result = async {
        let filter = query.filter()?;
        let organizations =
            register_query::list_organizations(&state.db, filter.region.as_deref(), filter.q.as_deref())
                .await?;
        views::register::organizations_page(locale, &filter, &organizations)
    };
    result.await.map(Html).map_err(|e| e.in_locale(locale))
}

pub async fn pledge_page(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    Path(reference): Path<String>,
) -> Result<Html<String>, AppError> {
    let pledge = register_query::find_pledge(&state.db, &reference)
        .await
        .map_err(|e| AppError::from(e).in_locale(locale))?
        .ok_or_else(|| AppError::not_found(format!("There is no pledge {reference}.")).in_locale(locale))?;
    Ok(Html(
        views::register::pledge_page(locale, &pledge).map_err(|e| e.in_locale(locale))?,
    ))
}
