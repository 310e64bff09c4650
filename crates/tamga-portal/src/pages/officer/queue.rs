//! `/officer`: the declarations under control in my offices (a page at a
//! time, with a link to the next) and my open inspection tasks, with
//! their counts, and this browser's signing key (made here if it has
//! none: the key the officer's acts are signed with).

use askama::Template;

use tamga_app::workbench::TaskView;
use tamga_store::DeclarationRecord;

use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// A row of the queue.
pub struct QueueRow {
    pub mrn: String,
    pub lrn: String,
    pub channel: String,
    pub channel_name: String,
    pub office: String,
    pub declarant: String,
    pub registered: String,
}

/// A row of my tasks.
pub struct TaskRow {
    pub mrn: String,
    pub office: String,
    pub channel: String,
    pub channel_name: String,
    pub created: String,
    /// The risk decision said in the page's language (HTML, escaped).
    pub explanation: crate::pages::risk::Said,
}

#[derive(Template)]
#[template(path = "officer/queue.html")]
struct QueuePage {
    f: Frame,
    username: String,
    queue: Vec<QueueRow>,
    /// `/officer?before=…` when there may be more.
    next: String,
    tasks: Vec<TaskRow>,
    queue_count: String,
    task_count: String,
}

/// A time as `2026-12-06 16:40 UTC`.
pub fn when(t: time::OffsetDateTime) -> String {
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

/// The page: `queue` is one page of at most `limit` declarations.
pub fn queue_page(
    ctx: &Ctx,
    queue: &[DeclarationRecord],
    limit: usize,
    tasks: &[TaskView],
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let channel_name = |c: &str| tr.t(&format!("officer-channel-{c}"));
    let rows: Vec<QueueRow> = queue
        .iter()
        .map(|r| QueueRow {
            mrn: r.mrn.to_string(),
            lrn: r.lrn.to_string(),
            channel: r.channel.as_str().to_owned(),
            channel_name: channel_name(r.channel.as_str()),
            office: r.office.to_string(),
            declarant: r.declarant.to_string(),
            registered: when(r.registered_at),
        })
        .collect();
    let next = match rows.last() {
        Some(last) if rows.len() >= limit => format!("/officer?before={}", last.mrn),
        _ => String::new(),
    };
    let task_rows: Vec<TaskRow> = tasks
        .iter()
        .map(|t| TaskRow {
            mrn: t.task.mrn.to_string(),
            office: t.task.office.to_string(),
            channel: t.task.channel.as_str().to_owned(),
            channel_name: channel_name(t.task.channel.as_str()),
            created: when(t.task.created_at),
            explanation: t
                .risk
                .as_ref()
                .map(|r| crate::pages::risk::explanation(&tr, r))
                .unwrap_or_default(),
        })
        .collect();
    let queue_count = if next.is_empty() {
        rows.len().to_string()
    } else {
        format!("{}+", rows.len())
    };
    render(
        &QueuePage {
            f: Frame::new(ctx, tr.t("officer-title")),
            username: ctx
                .me
                .as_ref()
                .map(|m| m.username.clone())
                .unwrap_or_default(),
            queue: rows,
            next,
            task_count: task_rows.len().to_string(),
            tasks: task_rows,
            queue_count,
        },
        200,
    )
}
