//! The staff navigation: one table of the main pages, each with the
//! permission its page needs. The menu (`nav_main.html`) shows a link only
//! when the role has it, and the same table stops a request for the page
//! before its handler, so a link is shown exactly when its page opens.

use wangge_core::auth::{Permission, Role};

pub struct NavLink {
    pub path: &'static str,
    pub label: &'static str,
    /// `None`: every signed-in staff role.
    pub needs: Option<Permission>,
}

pub const NAV: &[NavLink] = &[
    NavLink {
        path: "/",
        label: "nav.home",
        needs: None,
    },
    NavLink {
        path: "/cases",
        label: "case.nav",
        needs: None,
    },
    // Staff report as themselves here; departments are sent work instead,
    // and auditors only read.
    NavLink {
        path: "/cases/new",
        label: "intake.nav",
        needs: Some(Permission::CasesIntake),
    },
    // The dashboard counts over the units of the tree, which a department
    // handler (scoped to an organisation, not a unit) cannot read.
    NavLink {
        path: "/dashboard",
        label: "dash.nav",
        needs: Some(Permission::RegistryRead),
    },
    NavLink {
        path: "/units",
        label: "nav.units",
        needs: Some(Permission::RegistryRead),
    },
    NavLink {
        path: "/people",
        label: "nav.people",
        needs: Some(Permission::RegistryRead),
    },
    NavLink {
        path: "/equipment",
        label: "equipment.nav",
        needs: Some(Permission::EquipmentRead),
    },
    NavLink {
        path: "/inspections",
        label: "inspection_pages.nav",
        needs: Some(Permission::InspectionsRead),
    },
];

impl NavLink {
    pub fn opens_for(&self, role: Role) -> bool {
        self.needs.is_none_or(|p| role.can(p))
    }
}

/// The links a role sees, in menu order.
pub fn links(role: &Role) -> Vec<&'static NavLink> {
    NAV.iter().filter(|l| l.opens_for(*role)).collect()
}

/// Whether the page at `path` is one of the menu's.
pub fn in_menu(path: &str) -> bool {
    NAV.iter().any(|l| l.path == path)
}

/// Whether `role` may open the page at `path`; `None` when the path is not
/// a page of the menu (its handler decides alone).
pub fn gate(path: &str, role: Role) -> Option<bool> {
    NAV.iter()
        .find(|l| l.path == path)
        .map(|l| l.opens_for(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_department_handler_sees_no_registry_page() {
        let paths: Vec<&str> = links(&Role::DeptHandler).iter().map(|l| l.path).collect();
        assert_eq!(paths, ["/", "/cases", "/inspections"]);
        assert_eq!(gate("/people", Role::DeptHandler), Some(false));
        assert_eq!(gate("/people", Role::GridWorker), Some(true));
        assert_eq!(gate("/cases/1", Role::DeptHandler), None);
    }
}
