//! The organisation choice of the forms that hand work to an organisation
//! (a case's dispatch, reassign and joint-meeting steps; the new-plan form):
//! only kinds that handle cases, a server-side name search (a plain GET form,
//! no script), and the suggested or already chosen organisations first.

use crate::AppState;
use wangge_core::organisations::OrgKind;
use wangge_store::organisations::{choices, Organisation, HANDLER_CHOICES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A case's lead, co-handlers or meeting members.
    Case,
    /// An inspection plan's issuing, supervising and inspecting organisations:
    /// the inspector is often an expert firm, so a typed search also finds
    /// enterprises and social organisations (never listed unasked: most of
    /// them are shops).
    Plan,
}

fn kinds(purpose: Purpose, searching: bool) -> Vec<OrgKind> {
    OrgKind::ALL
        .into_iter()
        .filter(|k| {
            k.handles_cases()
                || (purpose == Purpose::Plan
                    && searching
                    && matches!(k, OrgKind::Enterprise | OrgKind::SocialOrganisation))
        })
        .collect()
}

/// The organisations to offer; `first` (the category's route, the values
/// already chosen) at the top, even when the search would leave them out.
pub async fn handlers(
    s: &AppState,
    purpose: Purpose,
    query: &str,
    first: &[i64],
) -> Vec<(i64, String)> {
    let q = query.trim().to_string();
    let first = first.to_vec();
    let sys = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    let listed = s
        .store
        .db
        .read(move |c| {
            let mut list = choices(c, &kinds(purpose, !q.is_empty()), Some(&q), HANDLER_CHOICES)?;
            for f in first.iter().rev() {
                let top = match list.iter().position(|(id, _)| id == f) {
                    Some(i) => Some(list.remove(i)),
                    None => wangge_store::registry::get::<Organisation>(c, &sys, *f)
                        .ok()
                        .map(|o| (o.id, o.name)),
                };
                if let Some(top) = top {
                    list.insert(0, top);
                }
            }
            Ok(list)
        })
        .await;
    listed
        .map_err(|e| tracing::warn!(error = %e, "organisation choice unavailable"))
        .unwrap_or_default()
}

/// The default lead organisation the category's route gives a case, if any.
pub async fn route_of(s: &AppState, category: &str, unit: &str) -> Option<i64> {
    let sys = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    let (category, unit) = (category.to_string(), unit.to_string());
    s.store
        .db
        .read(move |c| wangge_store::cases::route_for(c, &sys, &category, &unit))
        .await
        .ok()
        .flatten()
        .map(|r| r.org_id)
}
