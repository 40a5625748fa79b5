//! Opening a campaign: one update request per active pledge, one personal link per active
//! contact of the lead organization, and an invitation per link — all in one transaction,
//! so either everyone is invited or nobody is.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ActionError;
use super::audit::{self, Actor};
use super::outbox::{self, NewMail};
use crate::domain::delivery::MailKind;
use crate::domain::pledge::{CompactScope, Locale};
use crate::domain::request::{CampaignState, RequestState};
use crate::domain::requirements::{embedded_profiles, profile_versions};
use crate::entities::{access_link, campaign, contact, pledge, update_request};
use crate::mail::messages::{self, Invitation};
use crate::tokens;

pub struct OpenCampaign<'a> {
    pub name: &'a str,
    pub deadline: NaiveDate,
    /// Only these pledges; all active pledges when empty.
    pub pledge_refs: &'a [String],
    pub base_url: &'a str,
    pub grace_days: i64,
    /// Who opened it from the workspace; `None` from the command line.
    pub staff_id: Option<i32>,
    /// The campaign's reminder policy (the configured default unless changed).
    pub policy: crate::domain::reminders::PolicySettings,
    /// Move a pledge's open request from another campaign into this one instead of refusing it.
    pub move_open: bool,
    /// Do everything, report it, and roll it back: nothing is stored and no mail is queued.
    pub dry_run: bool,
    /// Called with (pledges done, pledges in all) as the requests are issued.
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignOpened {
    pub campaign_id: i32,
    pub requests: usize,
    pub out_of_un_scope: usize,
    pub invitations: usize,
    /// Pledges whose organization has no active contact: requested, but nobody is invited.
    pub without_contact: Vec<String>,
    /// Pledges left out because they already have an open request elsewhere, and where it is.
    pub already_open: Vec<String>,
    /// Open requests moved into this campaign (`move_open`).
    pub moved: Vec<String>,
}

/// Links stay valid through the deadline plus the grace period, to the end of that day in the
/// westernmost time zone (UTC−12, i.e. noon UTC the day after).
pub fn link_expiry(deadline: NaiveDate, grace_days: i64) -> DateTime<Utc> {
    let last_day = deadline + Duration::days(grace_days.max(0) + 1);
    last_day.and_hms_opt(12, 0, 0).expect("noon exists").and_utc()
}

pub async fn open_campaign(
    db: &DatabaseConnection,
    spec: &OpenCampaign<'_>,
    now: DateTime<Utc>,
) -> Result<CampaignOpened, ActionError> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ActionError::Invalid(
            "the campaign name must have 1 to 200 characters".into(),
        ));
    }
    if spec.deadline < now.date_naive() {
        return Err(ActionError::Invalid(format!(
            "the deadline {} is in the past",
            spec.deadline
        )));
    }
    if campaign::Entity::find()
        .filter(campaign::Column::Name.eq(name))
        .count(db)
        .await?
        > 0
    {
        return Err(ActionError::Invalid(format!(
            "a campaign named `{name}` already exists"
        )));
    }
    spec.policy
        .policy()
        .map_err(|e| ActionError::Invalid(format!("reminder policy: {e}")))?;
    let pledges = active_pledges(db, spec.pledge_refs).await?;
    if pledges.is_empty() {
        return Err(ActionError::Invalid(
            "the register has no active pledge to ask for an update".into(),
        ));
    }

    let versions = profile_versions(&embedded_profiles().iter().collect::<Vec<_>>());
    let txn = super::write_txn(db).await?;
    let created = campaign::ActiveModel {
        id: NotSet,
        name: Set(name.into()),
        opens_at: Set(now),
        deadline: Set(spec.deadline),
        state: Set(CampaignState::Open.into()),
        profile_versions: Set(serde_json::to_string(&versions).expect("a map serialises")),
        reminder_policy: Set(serde_json::to_string(&spec.policy).expect("the policy serialises")),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;

    let mut opened = CampaignOpened {
        campaign_id: created.id,
        requests: 0,
        out_of_un_scope: 0,
        invitations: 0,
        without_contact: vec![],
        already_open: vec![],
        moved: vec![],
    };
    let issue = IssueSpec {
        base_url: spec.base_url,
        grace_days: spec.grace_days,
        staff_id: spec.staff_id,
        move_open: spec.move_open,
    };
    issue_requests(&txn, &created, &pledges, &issue, &mut opened, now, spec.progress).await?;
    audit::record(
        &txn,
        now,
        spec.staff_id.map(Actor::Staff).unwrap_or(Actor::System),
        "campaign.opened",
        "campaign",
        Some(created.id.to_string()),
        serde_json::json!({
            "name": name,
            "deadline": spec.deadline,
            "requests": opened.requests,
            "invitations": opened.invitations,
            "left_out": opened.already_open,
            "moved": opened.moved,
        }),
    )
    .await?;
    (spec.progress)(pledges.len(), pledges.len());
    if spec.dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
        if opened.requests >= super::BULK_ROWS {
            super::refresh_statistics(
                db,
                &["update_request", "access_link", "outbox_mail", "audit_event"],
            )
            .await?;
        }
    }
    Ok(opened)
}

/// What issuing requests needs besides the campaign and the pledges.
pub struct IssueSpec<'a> {
    pub base_url: &'a str,
    pub grace_days: i64,
    pub staff_id: Option<i32>,
    /// Move a pledge's open request from another campaign instead of leaving the pledge out.
    pub move_open: bool,
}

/// One request per pledge, a personal link and an invitation per reachable contact. Pledges
/// that already have a request in the campaign are skipped; a pledge with an open request in
/// another campaign is left out and named (or, with `move_open`, its request moves here).
///
/// What decides each pledge's fate is read once up front, and the rows are written a chunk of
/// pledges at a time, one multi-row statement per table: a campaign for 100,000 pledges is a
/// few thousand statements, not 700,000.
async fn issue_requests(
    txn: &impl sea_orm::ConnectionTrait,
    campaign: &campaign::Model,
    pledges: &[pledge::Model],
    spec: &IssueSpec<'_>,
    opened: &mut CampaignOpened,
    now: DateTime<Utc>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(), DbErr> {
    let in_campaign: HashSet<i32> = update_request::Entity::find()
        .select_only()
        .column(update_request::Column::PledgeId)
        .filter(update_request::Column::CampaignId.eq(campaign.id))
        .into_tuple()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let open_states: Vec<&str> = RequestState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let mut open_elsewhere: HashMap<i32, update_request::Model> = HashMap::new();
    for open in update_request::Entity::find()
        .filter(update_request::Column::State.is_in(open_states))
        .filter(update_request::Column::CampaignId.ne(campaign.id))
        .order_by_asc(update_request::Column::Id)
        .all(txn)
        .await?
    {
        open_elsewhere.entry(open.pledge_id).or_insert(open);
    }
    let campaign_names: HashMap<i32, String> = campaign::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut contacts: HashMap<i32, Vec<contact::Model>> = HashMap::new();
    for c in super::requests::all_reachable_contacts(txn).await? {
        contacts.entry(c.organization_id).or_default().push(c);
    }
    let actor = spec.staff_id.map(Actor::Staff).unwrap_or(Actor::System);

    let mut done = 0;
    for chunk in pledges.chunks(ISSUE_CHUNK) {
        progress(done, pledges.len());
        done += chunk.len();
        let mut new = Vec::with_capacity(chunk.len());
        for p in chunk {
            if in_campaign.contains(&p.id) {
                continue;
            }
            let Some(open) = open_elsewhere.remove(&p.id) else {
                new.push(p);
                continue;
            };
            let from = campaign_names.get(&open.campaign_id).cloned().unwrap_or_default();
            if spec.move_open {
                move_request(txn, open, campaign, &from, spec, now).await?;
                opened.moved.push(format!("{} (from `{from}`)", p.reference));
            } else {
                opened.already_open.push(format!(
                    "{} already has an open request (#{}, {}) in campaign `{from}`",
                    p.reference,
                    open.id,
                    open.request_state()
                ));
            }
        }
        if new.is_empty() {
            continue;
        }
        // RETURNING gives the new ids: reading them back by pledge would scan a table the
        // planner still believes small in the middle of this transaction (PostgreSQL).
        let requests: HashMap<i32, update_request::Model> =
            update_request::Entity::insert_many(new.iter().map(|p| update_request::ActiveModel {
                id: NotSet,
                campaign_id: Set(campaign.id),
                pledge_id: Set(p.id),
                state: Set(RequestState::Issued.into()),
                out_of_un_scope: Set(p.scope() == CompactScope::IdpOnly),
                deadline_override: Set(None),
                assigned_reviewer_id: Set(None),
                submitted_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }))
            .exec_with_returning(txn)
            .await?
            .into_iter()
            .map(|r| (r.pledge_id, r))
            .collect();
        let mut issued = Vec::with_capacity(new.len());
        let mut links = Vec::new();
        let mut mails = Vec::new();
        for p in &new {
            let request = requests
                .get(&p.id)
                .ok_or_else(|| DbErr::RecordNotFound(format!("the new request of pledge {}", p.reference)))?;
            opened.requests += 1;
            opened.out_of_un_scope += usize::from(request.out_of_un_scope);
            issued.push((
                Some(request.id.to_string()),
                serde_json::json!({ "campaign": campaign.name, "pledge": p.reference }),
            ));
            let reachable = contacts
                .get(&p.organization_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if reachable.is_empty() {
                opened.without_contact.push(p.reference.clone());
            }
            for c in reachable {
                let expires_at = link_expiry(campaign.deadline, spec.grace_days);
                let (token, link) = new_link(request.id, c.id, expires_at, now);
                links.push(link);
                let dedup_key = format!("invitation:{}:{}", request.id, c.id);
                let mail = invitation(request, p, campaign.deadline, c, spec, &token, dedup_key, now);
                mails.push(outbox::row(mail, now));
            }
        }
        audit::record_each(txn, now, actor, "request.issued", "update_request", issued).await?;
        for links in super::insert_batches::<access_link::Entity, _>(links) {
            access_link::Entity::insert_many(links)
                .exec_without_returning(txn)
                .await?;
        }
        opened.invitations += outbox::enqueue_many(txn, mails).await? as usize;
    }
    Ok(())
}

/// Pledges issued per round of multi-row inserts.
const ISSUE_CHUNK: usize = 500;

/// Moves an open request, with its draft and links, into `campaign`: its deadline becomes the
/// campaign's, and its live links last as long as the new deadline needs.
async fn move_request(
    txn: &impl sea_orm::ConnectionTrait,
    request: update_request::Model,
    campaign: &campaign::Model,
    from: &str,
    spec: &IssueSpec<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let id = request.id;
    let mut row: update_request::ActiveModel = request.into();
    row.campaign_id = Set(campaign.id);
    row.deadline_override = Set(None);
    row.updated_at = Set(now);
    row.update(txn).await?;
    access_link::Entity::update_many()
        .col_expr(
            access_link::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(link_expiry(campaign.deadline, spec.grace_days)),
        )
        .filter(access_link::Column::UpdateRequestId.eq(id))
        .filter(access_link::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    audit::record(
        txn,
        now,
        spec.staff_id.map(Actor::Staff).unwrap_or(Actor::System),
        "request.moved",
        "update_request",
        Some(id.to_string()),
        serde_json::json!({ "from": from, "to": campaign.name }),
    )
    .await
}

/// Issues a personal link for `contact` and queues the invitation that carries it.
/// Returns false when a mail with the same dedup key was already queued.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    txn: &impl sea_orm::ConnectionTrait,
    request: &update_request::Model,
    pledge: &pledge::Model,
    deadline: NaiveDate,
    contact: &crate::entities::contact::Model,
    spec: &IssueSpec<'_>,
    dedup_key: String,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let expires_at = link_expiry(deadline, spec.grace_days);
    let token = issue_link(txn, request.id, contact.id, expires_at, now).await?;
    let mail = invitation(request, pledge, deadline, contact, spec, &token, dedup_key, now);
    outbox::enqueue(txn, mail, now).await
}

/// The invitation that carries `token` to `contact`.
#[allow(clippy::too_many_arguments)]
fn invitation<'a>(
    request: &update_request::Model,
    pledge: &pledge::Model,
    deadline: NaiveDate,
    contact: &'a crate::entities::contact::Model,
    spec: &IssueSpec<'_>,
    token: &str,
    dedup_key: String,
    now: DateTime<Utc>,
) -> NewMail<'a> {
    let locale = Locale::parse(&contact.locale).unwrap_or_default();
    let link = format!("{}/u/{token}", spec.base_url.trim_end_matches('/'));
    let rendered = messages::invitation(
        locale,
        &Invitation {
            recipient_name: &contact.name,
            pledge_title: &pledge.title,
            reference: &pledge.reference,
            link: &link,
            deadline,
            out_of_un_scope: request.out_of_un_scope,
        },
    );
    NewMail {
        attachments: Vec::new(),
        dedup_key,
        kind: MailKind::Invitation,
        update_request_id: Some(request.id),
        contact_id: Some(contact.id),
        recipient: &contact.email,
        recipient_name: Some(&contact.name),
        locale: locale.as_str(),
        rendered,
        not_before: now,
    }
}

/// Adds pledges to an open campaign (updates are collected on a rolling basis): a request
/// and invitations for each one that is not in the campaign yet.
pub async fn add_pledges(
    db: &DatabaseConnection,
    campaign_id: i32,
    pledge_refs: &[String],
    spec: &IssueSpec<'_>,
    now: DateTime<Utc>,
) -> Result<CampaignOpened, ActionError> {
    if pledge_refs.is_empty() {
        return Err(ActionError::Invalid("choose at least one pledge to add".into()));
    }
    let campaign = campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("there is no campaign {campaign_id}")))?;
    let campaign_state = CampaignState::from(campaign.state);
    if campaign_state != CampaignState::Open {
        return Err(ActionError::Invalid(format!(
            "the campaign `{}` is {campaign_state}; pledges are added to an open campaign",
            campaign.name
        )));
    }
    let pledges = active_pledges(db, pledge_refs).await?;
    let txn = super::write_txn(db).await?;
    let mut added = CampaignOpened {
        campaign_id,
        requests: 0,
        out_of_un_scope: 0,
        invitations: 0,
        without_contact: vec![],
        already_open: vec![],
        moved: vec![],
    };
    issue_requests(&txn, &campaign, &pledges, spec, &mut added, now, &|_, _| {}).await?;
    audit::record(
        &txn,
        now,
        spec.staff_id.map(Actor::Staff).unwrap_or(Actor::System),
        "campaign.pledges_added",
        "campaign",
        Some(campaign_id.to_string()),
        serde_json::json!({
            "pledges": pledge_refs,
            "requests": added.requests,
            "left_out": added.already_open,
            "moved": added.moved,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(added)
}

/// The active pledges with these references, or an error naming the unknown ones.
async fn active_pledges(db: &DatabaseConnection, refs: &[String]) -> Result<Vec<pledge::Model>, ActionError> {
    let mut query = pledge::Entity::find()
        .filter(pledge::Column::Status.eq("active"))
        .order_by_asc(pledge::Column::Reference);
    if !refs.is_empty() {
        query = query.filter(pledge::Column::Reference.is_in(refs.iter().map(String::as_str)));
    }
    let pledges = query.all(db).await?;
    let unknown: Vec<&str> = refs
        .iter()
        .map(String::as_str)
        .filter(|r| !pledges.iter().any(|p| p.reference == *r))
        .collect();
    if !unknown.is_empty() {
        return Err(ActionError::Invalid(format!(
            "no active pledge with reference {}",
            unknown.join(", ")
        )));
    }
    Ok(pledges)
}

/// Creates a personal link and returns its token (the only time it exists in clear).
pub async fn issue_link(
    db: &impl sea_orm::ConnectionTrait,
    update_request_id: i32,
    contact_id: i32,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let (token, row) = new_link(update_request_id, contact_id, expires_at, now);
    row.insert(db).await?;
    Ok(token)
}

/// A new personal link: its token (the only time it exists in clear) and the row that keeps
/// its hash.
fn new_link(
    update_request_id: i32,
    contact_id: i32,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (String, access_link::ActiveModel) {
    let token = tokens::new_token();
    let row = access_link::ActiveModel {
        id: NotSet,
        update_request_id: Set(update_request_id),
        contact_id: Set(contact_id),
        token_hash: Set(tokens::hash(&token)),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        created_at: Set(now),
    };
    (token, row)
}
