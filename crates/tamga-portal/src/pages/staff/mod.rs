//! The customs staff's areas: the administrator (`/admin…`: operators and
//! their approval, users, first signing keys, the audit log), the manager
//! (`/manager`: dashboards drawn as SVG on the server) and the risk
//! analyst (`/analyst…`).
//!
//! Each page is a view model filled by the HTTP layer from the same
//! application service the API route calls (so scoping, such as an office
//! administrator's offices, is the service's), and an askama template in
//! `templates/staff/`. Texts are in `i18n/<language>/staff.ftl`.

pub mod admin;
pub mod analyst;
pub mod audit;
pub mod charts;
pub mod dashboard;
pub mod models;
pub mod offices;
pub mod traders;
pub mod users;

use time::OffsetDateTime;

use crate::Tr;

/// `2026-12-06 16:35 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The message of a service error `code` in the page's language
/// (`staff-error-<CODE>`), or a generic one naming the code.
pub fn error_message(tr: &Tr, code: &str) -> String {
    let id = format!("staff-error-{code}");
    if tr.has(&id) {
        tr.t(&id)
    } else {
        tr.t1("staff-error-generic", "code", code)
    }
}

/// The translated name of a role.
pub fn role_name(tr: &Tr, role: tamga_store::Role) -> String {
    tr.t(&format!("role-{}", role.as_str().replace('_', "-")))
}

/// A page of a list: where it starts and whether there is more.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The link to the previous page, empty on the first.
    pub prev: String,
    /// The link to the next page, empty on the last.
    pub next: String,
    /// `41–60 of 75`.
    pub shown: String,
}

/// How many rows a list page shows.
pub const PAGE_ROWS: usize = 50;

/// Cuts `rows` to page `page` (from 0) of [`PAGE_ROWS`]; `link(p)` is the
/// address of page `p`.
pub fn paginate<T>(
    tr: &Tr,
    rows: Vec<T>,
    page: usize,
    link: impl Fn(usize) -> String,
) -> (Vec<T>, Pager) {
    let total = rows.len();
    let start = (page * PAGE_ROWS).min(total);
    let end = (start + PAGE_ROWS).min(total);
    let pager = Pager {
        prev: if page > 0 && start > 0 {
            link(page - 1)
        } else {
            String::new()
        },
        next: if end < total {
            link(page + 1)
        } else {
            String::new()
        },
        shown: if total == 0 {
            String::new()
        } else {
            format!(
                "{}–{} / {}",
                tr.number(&(start + 1).to_string()),
                tr.number(&end.to_string()),
                tr.number(&total.to_string())
            )
        },
    };
    let rows = rows.into_iter().skip(start).take(end - start).collect();
    (rows, pager)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_lists_and_link_their_neighbours() {
        let tr = Tr::new("en");
        let (rows, p) = paginate(&tr, (0..120).collect::<Vec<_>>(), 1, |p| {
            format!("?page={p}")
        });
        assert_eq!(rows.first(), Some(&50));
        assert_eq!(rows.len(), 50);
        assert_eq!(p.prev, "?page=0");
        assert_eq!(p.next, "?page=2");
        assert_eq!(p.shown, "51–100 / 120");
        let (rows, p) = paginate(&tr, (0..120).collect::<Vec<_>>(), 9, |p| {
            format!("?page={p}")
        });
        assert!(rows.is_empty());
        assert!(p.next.is_empty());
        let t = OffsetDateTime::from_unix_timestamp(0).unwrap();
        assert_eq!(when(t), "1970-01-01 00:00 UTC");
        assert!(error_message(&tr, "NO_SUCH_CODE").contains("NO_SUCH_CODE"));
    }
}
