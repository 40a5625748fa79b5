//! The campaigns page and the form that opens one.
use crate::error::AppError;
use askama::Template;

use crate::views::render;

pub struct CampaignLine {
    pub id: i32,
    pub name: String,
    pub state: crate::domain::request::CampaignState,
    pub deadline: String,
    pub requests: u32,
    pub submitted: u32,
    pub done: u32,
    pub overdue: u32,
}

pub struct PledgeChoice {
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub checked: bool,
}

/// What the admin typed into the "open a campaign" form, kept when it is refused.
pub struct CampaignForm {
    pub name: String,
    pub deadline: String,
    pub all_pledges: bool,
    pub policy: crate::domain::reminders::PolicySettings,
}

#[derive(Template)]
#[template(path = "staff/campaigns.html")]
struct CampaignsPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    campaigns: Vec<CampaignLine>,
    can_administer: bool,
    pledges: Vec<PledgeChoice>,
    form: CampaignForm,
    error: Option<String>,
}

pub fn campaigns_page(
    user: &str,
    csrf: &str,
    campaigns: Vec<CampaignLine>,
    can_administer: bool,
    pledges: Vec<PledgeChoice>,
    form: CampaignForm,
    error: Option<String>,
) -> Result<String, AppError> {
    render(&CampaignsPage {
        title: "Campaigns",
        user: Some(user.into()),
        csrf: csrf.into(),
        campaigns,
        can_administer,
        pledges,
        form,
        error,
    })
}
