//! JSON API, `/api/v1`. Read-only register endpoints are public, like the register pages.
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;

use super::AppState;
use super::register::RegisterQuery;
use crate::error::{ApiError, AppError};
use crate::store::register_query::{self, PledgeView};

#[derive(Debug, Serialize)]
pub struct PledgeList {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<PledgeView>,
}

/// `GET /api/v1/pledges?scope=&priority=&region=&q=&page=&per_page=` (per_page ≤ 200).
pub async fn list_pledges(
    State(state): State<AppState>,
    Query(query): Query<RegisterQuery>,
) -> Result<Json<PledgeList>, ApiError> {
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

pub async fn get_pledge(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<PledgeView>, ApiError> {
    let pledge = register_query::find_pledge(&state.db, &reference)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no pledge {reference}")))?;
    Ok(Json(pledge))
}
