//! Approved and published updates, read page by page for the exports (never all at once).
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::answers::Answers;
use crate::domain::export::{Target, confirmed_scope};
use crate::domain::pledge::CompactScope;
use crate::domain::request::RequestState;
use crate::entities::{campaign, organization, pledge, revision, update_request};

/// One exportable update: the register facts and the newest revision's answers.
pub struct ExportItem {
    pub request_id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub country: String,
    pub country_code: String,
    /// The register's scope; the answers may confirm another (`export::confirmed_scope`).
    pub register_scope: CompactScope,
    pub campaign: String,
    pub state: String,
    pub revision: i32,
    pub submitted_at: String,
    pub gcr_pledge_id: Option<String>,
    pub gcm_pledge_ref: Option<String>,
    pub answers: Answers,
}

/// Approved and published updates count for the exports.
pub const EXPORTED: &[RequestState] = &[RequestState::Approved, RequestState::Published];

/// The next page of exportable updates after request id `after`, and the cursor to continue
/// from (None when there is nothing more). Each update goes to the targets of the scope it
/// confirmed. Without `all_cycles`, a pledge appears once, with its latest approved update.
pub async fn page(
    db: &impl ConnectionTrait,
    target: Target,
    states: &[RequestState],
    all_cycles: bool,
    after: i32,
    limit: u64,
) -> Result<(Vec<ExportItem>, Option<i32>), DbErr> {
    let mut query = update_request::Entity::find()
        .filter(update_request::Column::State.is_in(states.iter().map(|s| s.as_str())))
        .filter(update_request::Column::Id.gt(after));
    if !all_cycles {
        // A later request of the same pledge is a later cycle.
        let exported: Vec<String> = EXPORTED.iter().map(|s| format!("'{}'", s.as_str())).collect();
        query = query.filter(Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM update_request later WHERE later.pledge_id = update_request.pledge_id \
             AND later.state IN ({}) AND later.id > update_request.id)",
            exported.join(", ")
        )));
    }
    let requests = query
        .order_by_asc(update_request::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let Some(last) = requests.last().map(|r| r.id) else {
        return Ok((vec![], None));
    };
    let ids: Vec<i32> = requests.iter().map(|r| r.id).collect();
    let pledge_ids: Vec<i32> = requests.iter().map(|r| r.pledge_id).collect();
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.is_in(pledge_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let org_ids: Vec<i32> = pledges.values().map(|p| p.organization_id).collect();
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let campaigns: HashMap<i32, String> = campaign::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut newest: HashMap<i32, revision::Model> = HashMap::new();
    for r in revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.is_in(ids))
        .all(db)
        .await?
    {
        match newest.get(&r.update_request_id) {
            Some(existing) if existing.number >= r.number => {}
            _ => {
                newest.insert(r.update_request_id, r);
            }
        }
    }
    let mut items = Vec::new();
    for request in requests {
        let (Some(p), Some(rev)) = (pledges.get(&request.pledge_id), newest.remove(&request.id)) else {
            continue;
        };
        let register_scope = p.scope();
        let answers: Answers = serde_json::from_str(&rev.answers).map_err(|e| DbErr::Json(e.to_string()))?;
        if !target.includes(confirmed_scope(register_scope, &answers)) {
            continue;
        }
        let org = orgs.get(&p.organization_id);
        items.push(ExportItem {
            request_id: request.id,
            reference: p.reference.clone(),
            title: p.title.clone(),
            organization: org.map(|o| o.name.clone()).unwrap_or_default(),
            country: org.map(|o| o.country.clone()).unwrap_or_default(),
            country_code: org.and_then(|o| o.country_code.clone()).unwrap_or_default(),
            register_scope,
            campaign: campaigns.get(&request.campaign_id).cloned().unwrap_or_default(),
            state: request.request_state().as_str().to_string(),
            revision: rev.number,
            submitted_at: rev.submitted_at.format("%Y-%m-%d").to_string(),
            gcr_pledge_id: p.gcr_pledge_id.clone(),
            gcm_pledge_ref: p.gcm_pledge_ref.clone(),
            answers,
        });
    }
    Ok((items, Some(last)))
}
