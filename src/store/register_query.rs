//! Read side of the register: lists with filters and paging, and one pledge in full.
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use crate::domain::pledge::{CompactScope, search_key};
use crate::domain::reference::Scheme;
use crate::entities::{organization, pledge, pledge_classification, pledge_organization};

#[derive(Debug, Clone, Default)]
pub struct PledgeFilter {
    pub scope: Option<CompactScope>,
    /// A priority code, "1" to "8".
    pub priority: Option<String>,
    pub region: Option<String>,
    /// Free text over reference, title, organization and country.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// 1-based.
    pub number: u64,
    pub size: u64,
}

/// The public face of a pledge (no contacts).
#[derive(Debug, Clone, Serialize)]
pub struct PledgeView {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub organization: String,
    pub co_pledgers: Vec<String>,
    pub country: String,
    pub country_code: Option<String>,
    pub region: String,
    pub compact_scope: String,
    pub pledge_year: i32,
    pub timeline_start: Option<String>,
    /// `None` means ongoing.
    pub timeline_end: Option<String>,
    pub gcr_pledge_id: Option<String>,
    pub gcm_pledge_ref: Option<String>,
    pub beneficiary_groups: Vec<String>,
    pub priorities: Vec<String>,
    pub gcm_objectives: Vec<String>,
    pub gcm_principles: Vec<String>,
    pub gcr_objectives: Vec<String>,
    pub gcr_focus_areas: Vec<String>,
    pub sdgs: Vec<String>,
}

impl PledgeView {
    pub fn codes(&self, scheme: Scheme) -> &[String] {
        match scheme {
            Scheme::Priority => &self.priorities,
            Scheme::GcmObjective => &self.gcm_objectives,
            Scheme::GcmPrinciple => &self.gcm_principles,
            Scheme::GcrObjective => &self.gcr_objectives,
            Scheme::GcrFocusArea => &self.gcr_focus_areas,
            Scheme::Sdg => &self.sdgs,
            Scheme::BeneficiaryGroup => &self.beneficiary_groups,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationView {
    pub name: String,
    pub kind: String,
    pub country: String,
    pub region: String,
    pub timezone: String,
    pub pledge_count: u64,
}

/// `%text%` with LIKE's wildcards escaped, over the accent-folded search key.
fn contains(text: &str) -> LikeExpr {
    let escaped = search_key(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn pledge_condition(filter: &PledgeFilter) -> Condition {
    let mut condition = Condition::all().add(pledge::Column::Status.eq("active"));
    if let Some(scope) = filter.scope {
        condition = condition.add(pledge::Column::CompactScope.eq(pledge::StoredScope::from(scope)));
    }
    if let Some(priority) = &filter.priority {
        condition = condition.add(
            pledge::Column::Id.in_subquery(
                Query::select()
                    .column(pledge_classification::Column::PledgeId)
                    .from(pledge_classification::Entity)
                    .and_where(pledge_classification::Column::Scheme.eq(Scheme::Priority.as_str()))
                    .and_where(pledge_classification::Column::Code.eq(priority.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(region) = &filter.region {
        condition = condition.add(
            pledge::Column::OrganizationId.in_subquery(
                Query::select()
                    .column(organization::Column::Id)
                    .from(organization::Entity)
                    .and_where(organization::Column::Region.eq(region.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        condition = condition.add(Expr::col(pledge::Column::SearchText).like(contains(q.trim())));
    }
    condition
}

/// One page of pledges in reference order, and how many match in all.
pub async fn list_pledges(
    db: &impl ConnectionTrait,
    filter: &PledgeFilter,
    page: Page,
) -> Result<(u64, Vec<PledgeView>), DbErr> {
    let query = pledge::Entity::find().filter(pledge_condition(filter));
    let total = query.clone().count(db).await?;
    // A page past the end is empty, however far past (no offset overflow reaches the database).
    let offset = (Ord::max(page.number, 1) - 1).saturating_mul(page.size);
    if offset >= total {
        return Ok((total, Vec::new()));
    }
    let rows = query
        .order_by_asc(pledge::Column::Reference)
        .offset(offset)
        .limit(page.size)
        .all(db)
        .await?;
    Ok((total, views(db, rows).await?))
}

pub async fn find_pledge(db: &impl ConnectionTrait, reference: &str) -> Result<Option<PledgeView>, DbErr> {
    let Some(row) = pledge::Entity::find()
        .filter(pledge::Column::Reference.eq(reference))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(views(db, vec![row]).await?.pop())
}

/// Loads organizations, co-pledgers and classifications for a page of pledges in three
/// queries, whatever the page size.
async fn views(db: &impl ConnectionTrait, rows: Vec<pledge::Model>) -> Result<Vec<PledgeView>, DbErr> {
    let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
    let links = pledge_organization::Entity::find()
        .filter(pledge_organization::Column::PledgeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut org_ids: Vec<i32> = rows.iter().map(|p| p.organization_id).collect();
    org_ids.extend(links.iter().map(|l| l.organization_id));
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut codes: HashMap<(i32, String), Vec<String>> = HashMap::new();
    for c in pledge_classification::Entity::find()
        .filter(pledge_classification::Column::PledgeId.is_in(ids))
        .all(db)
        .await?
    {
        codes.entry((c.pledge_id, c.scheme)).or_default().push(c.code);
    }
    let mut views = Vec::with_capacity(rows.len());
    for p in rows {
        let Some(org) = orgs.get(&p.organization_id) else {
            return Err(DbErr::RecordNotFound(format!(
                "organization {} of pledge {}",
                p.organization_id, p.reference
            )));
        };
        let mut take = |scheme: Scheme| {
            let mut list = codes
                .remove(&(p.id, scheme.as_str().to_string()))
                .unwrap_or_default();
            // Display order is the reference set's order, not the database's.
            list.sort_by_key(|code| scheme.items().iter().position(|(c, _)| c == code));
            list
        };
        let mut co_pledgers: Vec<String> = links
            .iter()
            .filter(|l| l.pledge_id == p.id)
            .filter_map(|l| orgs.get(&l.organization_id).map(|o| o.name.clone()))
            .collect();
        co_pledgers.sort();
        views.push(PledgeView {
            beneficiary_groups: take(Scheme::BeneficiaryGroup),
            priorities: take(Scheme::Priority),
            gcm_objectives: take(Scheme::GcmObjective),
            gcm_principles: take(Scheme::GcmPrinciple),
            gcr_objectives: take(Scheme::GcrObjective),
            gcr_focus_areas: take(Scheme::GcrFocusArea),
            sdgs: take(Scheme::Sdg),
            reference: p.reference,
            title: p.title,
            description: p.description,
            organization: org.name.clone(),
            co_pledgers,
            country: org.country.clone(),
            country_code: org.country_code.clone(),
            region: org.region.clone(),
            compact_scope: CompactScope::from(p.compact_scope).as_str().into(),
            pledge_year: p.pledge_year,
            timeline_start: p.timeline_start,
            timeline_end: p.timeline_end,
            gcr_pledge_id: p.gcr_pledge_id,
            gcm_pledge_ref: p.gcm_pledge_ref,
        });
    }
    Ok(views)
}

/// Organizations with their number of active pledges as lead, by name.
pub async fn list_organizations(
    db: &impl ConnectionTrait,
    region: Option<&str>,
    q: Option<&str>,
) -> Result<Vec<OrganizationView>, DbErr> {
    let mut query = organization::Entity::find().order_by_asc(organization::Column::Name);
    if let Some(region) = region {
        query = query.filter(organization::Column::Region.eq(region));
    }
    if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
        query = query.filter(Expr::col(organization::Column::SearchText).like(contains(q.trim())));
    }
    let orgs = query.all(db).await?;
    let counts: HashMap<i32, i64> = pledge::Entity::find()
        .select_only()
        .column(pledge::Column::OrganizationId)
        .column_as(pledge::Column::Id.count(), "n")
        .filter(pledge::Column::Status.eq("active"))
        .group_by(pledge::Column::OrganizationId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(orgs
        .into_iter()
        .map(|o| OrganizationView {
            pledge_count: counts.get(&o.id).copied().unwrap_or(0) as u64,
            name: o.name,
            kind: o.kind,
            country: o.country,
            region: o.region,
            timezone: o.timezone,
        })
        .collect())
}

/// (organizations, active pledges) in the register.
pub async fn register_totals(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    let organizations = organization::Entity::find().count(db).await?;
    let pledges = pledge::Entity::find()
        .filter(pledge::Column::Status.eq("active"))
        .count(db)
        .await?;
    Ok((organizations, pledges))
}
