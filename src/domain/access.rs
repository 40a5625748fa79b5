//! Who in the secretariat may do what.
use super::pledge::StaffRole;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the workspace: queues, dashboards, updates, timelines.
    View,
    /// Comment, request changes, approve, run interviews.
    Review,
    /// Put approved updates on the public pages.
    Publish,
    /// Withdraw a request, open campaigns, manage contacts and links.
    Administer,
}

pub fn allows(role: StaffRole, permission: Permission) -> bool {
    match permission {
        Permission::View => true,
        Permission::Review | Permission::Publish => matches!(role, StaffRole::Reviewer | StaffRole::Admin),
        Permission::Administer => role == StaffRole::Admin,
    }
}

/// Fewest characters of a staff password.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A new staff password is long enough (length is what makes a password hard to guess).
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() >= MIN_PASSWORD_CHARS {
        Ok(())
    } else {
        Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_from_viewer_to_admin() {
        use Permission::*;
        use StaffRole::*;
        assert!(allows(Viewer, View) && !allows(Viewer, Review) && !allows(Viewer, Administer));
        assert!(allows(Reviewer, Review) && allows(Reviewer, Publish) && !allows(Reviewer, Administer));
        assert!(
            [View, Review, Publish, Administer]
                .iter()
                .all(|p| allows(Admin, *p))
        );
    }
}
