//! Roles and what each may do, as one table; and the password policy.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Role {
        /// 管委会: the whole zone.
        ZoneAdmin => "zone_admin",
        /// 街道办/镇 staff.
        StreetStaff => "street_staff",
        /// 社区干部.
        CommunityCadre => "community_cadre",
        /// 网格员.
        GridWorker => "grid_worker",
        /// 职能部门 handler: works on what is dispatched to their organisation.
        DeptHandler => "dept_handler",
        /// Reads the audit log; sees the registry masked.
        Auditor => "auditor",
        /// 群众 with an account.
        Resident => "resident",
    }
    parse: Noun::new("role", "role", "角色", "role").listed();
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read units, organisations, people, households and positions (masked).
    RegistryRead,
    /// Create and change organisations, people, households and positions.
    RegistryWrite,
    /// Create, rename, move and delete units of the org tree.
    TreeWrite,
    /// See personal values in full, giving a reason (audited).
    RevealPersonal,
    /// See who reported a confidential tip.
    TipsRead,
    /// Export lists (audited).
    Export,
    /// Browse the audit log.
    AuditRead,
    /// Manage accounts and API tokens of others.
    UsersManage,
    /// Read inspection templates, plans, records and problem lists (排查).
    InspectionsRead,
    /// Submit inspection records for targets in scope.
    InspectionsRecord,
    /// Create inspection plans over a subtree.
    InspectionsManage,
    /// Create checklist templates and new versions of them.
    InspectionTemplatesWrite,
    /// Read the special-equipment and construction-site registries and their alerts.
    EquipmentRead,
    /// Register equipment and construction sites, change them, and record
    /// maintenance and periodic inspections.
    EquipmentWrite,
    /// Report as oneself on the staff intake form (上报, source `grid` or
    /// `staff`), and close on the spot what one dealt with there (自行处置;
    /// the case rules name the same roles, `cases::rules::CHECKERS`).
    CasesIntake,
}

use Permission::*;

/// The one table of who may do what. Scope (which part of the tree, which
/// organisation) narrows it further, in the store.
const TABLE: &[(Role, &[Permission])] = &[
    (
        Role::ZoneAdmin,
        &[
            RegistryRead,
            RegistryWrite,
            TreeWrite,
            RevealPersonal,
            TipsRead,
            Export,
            AuditRead,
            UsersManage,
            InspectionsRead,
            InspectionsRecord,
            InspectionsManage,
            InspectionTemplatesWrite,
            EquipmentRead,
            EquipmentWrite,
            CasesIntake,
        ],
    ),
    (
        Role::StreetStaff,
        &[
            RegistryRead,
            RegistryWrite,
            TreeWrite,
            RevealPersonal,
            TipsRead,
            Export,
            InspectionsRead,
            InspectionsRecord,
            InspectionsManage,
            EquipmentRead,
            EquipmentWrite,
            CasesIntake,
        ],
    ),
    (
        Role::CommunityCadre,
        &[
            RegistryRead,
            RegistryWrite,
            RevealPersonal,
            Export,
            InspectionsRead,
            InspectionsRecord,
            InspectionsManage,
            EquipmentRead,
            EquipmentWrite,
            CasesIntake,
        ],
    ),
    (
        Role::GridWorker,
        &[
            RegistryRead,
            RegistryWrite,
            RevealPersonal,
            InspectionsRead,
            InspectionsRecord,
            EquipmentRead,
            CasesIntake,
        ],
    ),
    // Third-party experts record for the plans their organisation is engaged
    // on; supervising offices read the plans they supervise (scoped in the store).
    (Role::DeptHandler, &[InspectionsRead, InspectionsRecord]),
    (
        Role::Auditor,
        &[RegistryRead, AuditRead, InspectionsRead, EquipmentRead],
    ),
    (Role::Resident, &[]),
];

impl Role {
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::ZoneAdmin => "区管理员",
            Role::StreetStaff => "街道工作人员",
            Role::CommunityCadre => "社区干部",
            Role::GridWorker => "网格员",
            Role::DeptHandler => "部门处置人员",
            Role::Auditor => "审计员",
            Role::Resident => "居民",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        TABLE
            .iter()
            .find(|(r, _)| *r == self)
            .map_or(&[], |(_, p)| p)
    }

    pub fn can(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    /// Whether this role's scope is a part of the org tree (rather than an organisation).
    pub fn needs_unit_scope(self) -> bool {
        matches!(
            self,
            Role::StreetStaff | Role::CommunityCadre | Role::GridWorker
        )
    }
}

/// Checks a new password: at least 10 characters, not all of one kind, and not
/// containing the user name. Long passphrases of any script are welcome.
pub fn check_password(password: &str, username: &str) -> Result<()> {
    let n = password.chars().count();
    let weak = |zh: &str, en: &str| Err(Error::invalid("password", "password_weak", zh, en));
    if n < 10 {
        return weak(
            "密码至少需要10个字符",
            "a password needs at least 10 characters",
        );
    }
    if n > 256 {
        return weak(
            "密码不能超过256个字符",
            "a password may have at most 256 characters",
        );
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 2 {
        return weak(
            "密码至少要包含两类字符(小写、大写、数字、符号或汉字)",
            "a password needs characters of at least two kinds (lower case, upper case, digits, symbols or CJK)",
        );
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return weak(
            "密码不能包含用户名",
            "a password must not contain the user name",
        );
    }
    crate::passwords::check_not_guessable(password, username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_each_role_its_permissions() {
        assert!(Role::ZoneAdmin.can(UsersManage));
        assert!(!Role::StreetStaff.can(UsersManage));
        assert!(Role::Auditor.can(AuditRead));
        assert!(!Role::Auditor.can(RevealPersonal));
        assert!(!Role::Auditor.can(RegistryWrite));
        assert!(!Role::DeptHandler.can(RegistryRead));
        assert!(Role::DeptHandler.can(InspectionsRecord));
        assert!(!Role::GridWorker.can(InspectionsManage));
        assert!(Role::Resident.permissions().is_empty());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(Role::parse("root").unwrap_err().code(), "role");
    }

    #[test]
    fn password_policy() {
        assert!(check_password("correct horse 9", "li").is_ok());
        assert!(check_password("网格管理员密码2026", "admin").is_ok());
        for bad in [
            "short1A",
            "aaaaaaaaaaaaaa",
            "1234567890123",
            "admin-2026-ok!",
        ] {
            assert_eq!(
                check_password(bad, "admin").unwrap_err().code(),
                "password_weak",
                "{bad}"
            );
        }
    }
}
