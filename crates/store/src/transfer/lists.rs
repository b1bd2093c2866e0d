//! The lists that can be exported, named once for every door an export comes
//! through (the command line, the API, the web): their names, what else a
//! reader must be allowed, and whether they can carry personal data.

use super::Kind;
use crate::ctx::Ctx;
use crate::registry::{self, Meta};
use wangge_core::auth::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Registry(Kind),
    /// A registry declared on the registry engine.
    Record(Meta),
    Cases,
    Equipment,
    Plans,
    Audit,
    /// The targets of one inspection plan.
    PlanTargets,
    Accounts,
    Categories,
}

impl List {
    /// The lists that are not a registry kind, with their names and aliases
    /// (slug, Chinese, English, other accepted names).
    const OTHERS: [(
        List,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    ); 7] = [
        (List::Cases, "cases", "事件", "cases", &["case", "案件"]),
        (
            List::Equipment,
            "equipment",
            "特种设备",
            "equipment",
            &["设备"],
        ),
        (
            List::Plans,
            "inspection-plans",
            "排查计划",
            "inspection plans",
            &["plans"],
        ),
        (List::Audit, "audit", "审计日志", "audit log", &[]),
        (
            List::PlanTargets,
            "plan-targets",
            "检查对象",
            "plan targets",
            &["targets"],
        ),
        (List::Accounts, "accounts", "账号", "accounts", &["users"]),
        (
            List::Categories,
            "categories",
            "事件分类",
            "case categories",
            &["分类"],
        ),
    ];

    fn other(
        self,
    ) -> Option<&'static (
        List,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )> {
        List::OTHERS.iter().find(|o| o.0 == self)
    }

    /// The name in URLs and file names (`people`, `construction-sites`).
    pub fn slug(self) -> &'static str {
        match (self, self.other()) {
            (List::Registry(k), _) => k.as_str(),
            (List::Record(m), _) => m.slug,
            (_, Some(o)) => o.1,
            (_, None) => "",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match (self, self.other()) {
            (List::Registry(k), _) => k.label_zh(),
            (List::Record(m), _) => m.list.0,
            (_, Some(o)) => o.2,
            (_, None) => "",
        }
    }

    pub fn label_en(self) -> &'static str {
        match (self, self.other()) {
            (List::Registry(k), _) => k.as_str(),
            (List::Record(m), _) => m.list.1,
            (_, Some(o)) => o.3,
            (_, None) => "",
        }
    }

    /// The exact slug, as URLs carry it.
    pub fn from_slug(s: &str) -> Option<List> {
        List::all().find(|l| l.slug() == s)
    }

    /// What a person may type: the slug, the Chinese name or another alias.
    pub fn parse(s: &str) -> Option<List> {
        let s = s.trim();
        if let Some(o) = List::OTHERS
            .iter()
            .find(|o| o.1 == s || o.2 == s || o.4.contains(&s))
        {
            return Some(o.0);
        }
        if let Some(m) = registry::metas()
            .into_iter()
            .find(|m| m.slug == s || m.list.0 == s || m.aliases.contains(&s))
        {
            return Some(List::Record(m));
        }
        Kind::parse(s).ok().map(List::of_kind)
    }

    /// The list a registry kind is exported as: a kind declared on the
    /// registry engine (organisations) is exported through it, under the
    /// same slug.
    pub fn of_kind(k: Kind) -> List {
        registry::metas()
            .into_iter()
            .find(|m| m.slug == k.as_str())
            .map_or(List::Registry(k), List::Record)
    }

    /// Every list. Equipment is exported as its own list (with its alerts and
    /// states), not as the registry kind its imports use; a declared
    /// registry once, as itself.
    pub fn all() -> impl Iterator<Item = List> {
        Kind::ALL
            .into_iter()
            .filter(|k| *k != Kind::Equipment)
            .filter(|k| matches!(List::of_kind(*k), List::Registry(_)))
            .map(List::Registry)
            .chain(List::OTHERS.iter().map(|o| o.0))
            .chain(registry::metas().into_iter().map(List::Record))
    }

    /// Whether `ctx` may export this list: `Export` and the right to read it.
    /// The audit log needs only its readers' permission (see
    /// [`super::export_audit`] for why).
    pub fn allowed(self, ctx: &Ctx) -> bool {
        let read = match self {
            List::Registry(_) | List::Cases => None,
            List::Record(m) => Some(m.read),
            List::Equipment => Some(Permission::EquipmentRead),
            List::Plans | List::PlanTargets => Some(Permission::InspectionsRead),
            List::Accounts | List::Categories => Some(Permission::UsersManage),
            List::Audit => return ctx.can(Permission::AuditRead),
        };
        ctx.can(Permission::Export) && read.is_none_or(|p| ctx.can(p))
    }

    /// Whether an export of this list carries personal data that can be unmasked.
    pub fn personal(self) -> bool {
        matches!(
            self,
            List::Cases | List::Registry(Kind::People | Kind::Positions)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_is_found_by_its_slug_and_its_chinese_name() {
        let all: Vec<List> = List::all().collect();
        assert_eq!(all.len(), 13);
        for l in all {
            assert_eq!(List::from_slug(l.slug()), Some(l));
            assert_eq!(List::parse(l.slug()), Some(l));
            assert_eq!(List::parse(l.label_zh()), Some(l), "{}", l.label_zh());
            assert!(!l.label_en().is_empty());
        }
        assert_eq!(List::parse("案件"), Some(List::Cases));
        assert_eq!(List::parse("vehicles"), None);
        assert_eq!(List::from_slug("案件"), None);
    }

    #[test]
    fn organisations_are_exported_as_their_declared_registry() {
        let orgs = List::Record(<crate::organisations::Organisation as registry::Registry>::META);
        for name in ["organisations", "Organizations", "orgs", "组织", "单位"] {
            assert_eq!(List::parse(name), Some(orgs), "{name}");
        }
        assert_eq!(List::from_slug("organisations"), Some(orgs));
        assert_eq!(List::of_kind(Kind::Organisations), orgs);
        assert_eq!(List::of_kind(Kind::People), List::Registry(Kind::People));
        assert!(!List::all().any(|l| l == List::Registry(Kind::Organisations)));
    }
}
