//! Automatic dispatching of controlled declarations to inspectors by
//! competence, workload and a recorded random element (pure).
//!
//! An inspector is eligible for a declaration when active, of the
//! declaration's office, below capacity, competent for every goods item
//! (its HS chapter is listed, or the chapter's section is; no chapters
//! and no sections listed means all goods) and for the border transport
//! mode (none listed means all). Among the eligible, one is drawn with a
//! weight equal to its free capacity, from a keyed hash of the MRN and a
//! seed under the service's secret draw key ([`DrawKey`]): the less loaded
//! an inspector, the likelier, but nobody without the secret can predict
//! who gets a declaration. Every decision lists each inspector
//! considered and why, the weights and the draw, so it can be recomputed.

use crate::hash::Sha256;
use serde::{Deserialize, Serialize};

use crate::codes::{Mrn, OfficeCode};
use crate::declaration::{Declaration, TransportMode};
use crate::risk::{DrawKey, PURPOSE_DISPATCH};

/// HS sections (Roman numerals) and their chapter ranges (HS 2022).
const SECTIONS: &[(&str, u8, u8)] = &[
    ("I", 1, 5),
    ("II", 6, 14),
    ("III", 15, 15),
    ("IV", 16, 24),
    ("V", 25, 27),
    ("VI", 28, 38),
    ("VII", 39, 40),
    ("VIII", 41, 43),
    ("IX", 44, 46),
    ("X", 47, 49),
    ("XI", 50, 63),
    ("XII", 64, 67),
    ("XIII", 68, 70),
    ("XIV", 71, 71),
    ("XV", 72, 83),
    ("XVI", 84, 85),
    ("XVII", 86, 89),
    ("XVIII", 90, 92),
    ("XIX", 93, 93),
    ("XX", 94, 96),
    ("XXI", 97, 97),
];

/// The section of a two-digit chapter ("24" → "IV").
pub fn section_of(chapter: &str) -> Option<&'static str> {
    let n: u8 = chapter.parse().ok().filter(|_| chapter.len() == 2)?;
    SECTIONS
        .iter()
        .find(|(_, a, b)| (*a..=*b).contains(&n))
        .map(|(s, _, _)| *s)
}

/// What goods and transport an inspector handles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Competences {
    /// Two-digit HS chapters, e.g. "24".
    #[serde(default)]
    pub hs_chapters: Vec<String>,
    /// HS sections in Roman numerals, e.g. "XVI".
    #[serde(default)]
    pub hs_sections: Vec<String>,
    #[serde(default)]
    pub transport_modes: Vec<TransportMode>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CompetenceError {
    pub code: &'static str,
    /// JSON pointer relative to the competences object.
    pub field: String,
    pub message: String,
}

impl Competences {
    /// Checks every chapter and section.
    pub fn check(&self) -> Result<(), CompetenceError> {
        for (i, c) in self.hs_chapters.iter().enumerate() {
            if section_of(c).is_none() {
                return Err(CompetenceError {
                    code: "COMPETENCE_CHAPTER",
                    field: format!("/hsChapters/{i}"),
                    message: format!("{c:?} is not an HS chapter (two digits, 01 to 97)"),
                });
            }
        }
        for (i, s) in self.hs_sections.iter().enumerate() {
            if !SECTIONS.iter().any(|(x, _, _)| x == s) {
                return Err(CompetenceError {
                    code: "COMPETENCE_SECTION",
                    field: format!("/hsSections/{i}"),
                    message: format!("{s:?} is not an HS section (Roman numeral I to XXI)"),
                });
            }
        }
        Ok(())
    }

    /// Why the inspector cannot handle the subject, or `None`.
    fn lacks(&self, s: &TaskSubject) -> Option<String> {
        if !self.hs_chapters.is_empty() || !self.hs_sections.is_empty() {
            let missing: Vec<&str> = s
                .chapters
                .iter()
                .filter(|c| {
                    !self.hs_chapters.contains(c)
                        && !section_of(c)
                            .is_some_and(|sec| self.hs_sections.iter().any(|x| x == sec))
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Some(format!(
                    "not competent for HS chapter(s) {}",
                    missing.join(", ")
                ));
            }
        }
        if !self.transport_modes.is_empty() && !self.transport_modes.contains(&s.transport_mode) {
            return Some(format!(
                "not competent for transport mode {}",
                s.transport_mode.as_str()
            ));
        }
        None
    }
}

/// An inspector as the dispatcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub username: String,
    pub office: OfficeCode,
    pub competences: Competences,
    pub capacity: u32,
    pub open_tasks: u32,
    pub active: bool,
}

/// What the dispatcher needs of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSubject {
    pub mrn: Mrn,
    pub office: OfficeCode,
    /// Distinct HS chapters of the goods items, sorted.
    pub chapters: Vec<String>,
    pub transport_mode: TransportMode,
}

impl TaskSubject {
    pub fn from_declaration(mrn: &Mrn, d: &Declaration) -> Self {
        let mut chapters: Vec<String> = d
            .items
            .iter()
            .map(|i| i.hs_code.chapter().to_owned())
            .collect();
        chapters.sort();
        chapters.dedup();
        TaskSubject {
            mrn: mrn.clone(),
            office: d.declaration_office.clone(),
            chapters,
            transport_mode: d.transport.border_mode,
        }
    }
}

/// One inspector considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Considered {
    pub username: String,
    /// Free capacity (the draw weight); 0 when not eligible.
    pub weight: u32,
    /// Why not eligible; absent when eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// The dispatcher's choice and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchDecision {
    /// The inspector chosen; `None` leaves the task in the office queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<String>,
    pub seed: u64,
    /// The draw secret the draw was keyed with; absent on decisions made
    /// before draws were keyed (their draw is [`draw`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<i64>,
    /// The draw in `[0, total weight)`, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<u64>,
    pub considered: Vec<Considered>,
    pub explanation: String,
}

/// The unkeyed draw of dispatch decisions made before draws were keyed
/// (no secret id recorded): a number in `[0, total)` anyone who knows the
/// seed can compute. Only for verifying old decisions.
pub fn draw(seed: u64, mrn: &Mrn, total: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(b"dispatch");
    h.update(seed.to_be_bytes());
    h.update(mrn.as_str());
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % total.max(1)
}

/// The keyed draw for one declaration: a number in `[0, total)`.
pub fn keyed_draw(key: &DrawKey, seed: u64, mrn: &Mrn, total: u64) -> u64 {
    key.draw_u64(PURPOSE_DISPATCH, seed, mrn.as_str()) % total.max(1)
}

/// Chooses an inspector for `subject` among `candidates` (any order).
pub fn choose(
    subject: &TaskSubject,
    candidates: &[Candidate],
    key: &DrawKey,
    seed: u64,
) -> DispatchDecision {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| a.username.cmp(&b.username));
    let considered: Vec<Considered> = sorted
        .iter()
        .map(|c| {
            let excluded = if !c.active {
                Some("inactive".to_owned())
            } else if c.office != subject.office {
                Some(format!("of office {}, not {}", c.office, subject.office))
            } else if let Some(why) = c.competences.lacks(subject) {
                Some(why)
            } else if c.open_tasks >= c.capacity {
                Some(format!(
                    "at capacity ({} of {} open tasks)",
                    c.open_tasks, c.capacity
                ))
            } else {
                None
            };
            Considered {
                username: c.username.clone(),
                weight: if excluded.is_none() {
                    c.capacity - c.open_tasks
                } else {
                    0
                },
                excluded,
            }
        })
        .collect();
    let total: u64 = considered.iter().map(|c| u64::from(c.weight)).sum();
    if total == 0 {
        let why = if considered.is_empty() {
            format!("no inspector is registered at office {}", subject.office)
        } else {
            let list: Vec<String> = considered
                .iter()
                .map(|c| format!("{}: {}", c.username, c.excluded.as_deref().unwrap_or("")))
                .collect();
            format!(
                "no eligible inspector at office {} ({})",
                subject.office,
                list.join("; ")
            )
        };
        return DispatchDecision {
            assigned: None,
            seed,
            secret_id: None,
            draw: None,
            considered,
            explanation: format!("left in the office queue: {why}"),
        };
    }
    let n = keyed_draw(key, seed, &subject.mrn, total);
    let mut acc = 0u64;
    let mut chosen = None;
    for c in considered.iter().filter(|c| c.weight > 0) {
        acc += u64::from(c.weight);
        if n < acc {
            chosen = Some(c.username.clone());
            break;
        }
    }
    let weights: Vec<String> = considered
        .iter()
        .filter(|c| c.weight > 0)
        .map(|c| format!("{}={}", c.username, c.weight))
        .collect();
    let eligible = weights.len();
    let explanation = format!(
        "assigned to {} : drawn {n} of {total} among {eligible} eligible inspector(s) weighted by free capacity ({})",
        chosen.as_deref().unwrap_or("?"),
        weights.join(", ")
    );
    DispatchDecision {
        assigned: chosen,
        seed,
        secret_id: Some(key.id),
        draw: Some(n),
        considered,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CountryCode, MrnCategory};

    fn mrn(n: u64) -> Mrn {
        Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            n,
            MrnCategory::Import,
        )
        .unwrap()
    }

    fn office(s: &str) -> OfficeCode {
        OfficeCode::parse(s).unwrap()
    }

    fn subject(n: u64, chapters: &[&str], mode: TransportMode) -> TaskSubject {
        TaskSubject {
            mrn: mrn(n),
            office: office("UZ000100"),
            chapters: chapters.iter().map(|c| c.to_string()).collect(),
            transport_mode: mode,
        }
    }

    fn inspector(
        name: &str,
        chapters: &[&str],
        sections: &[&str],
        cap: u32,
        open: u32,
    ) -> Candidate {
        Candidate {
            username: name.into(),
            office: office("UZ000100"),
            competences: Competences {
                hs_chapters: chapters.iter().map(|c| c.to_string()).collect(),
                hs_sections: sections.iter().map(|c| c.to_string()).collect(),
                transport_modes: vec![],
            },
            capacity: cap,
            open_tasks: open,
            active: true,
        }
    }

    #[test]
    fn sections_cover_every_chapter() {
        assert_eq!(section_of("01"), Some("I"));
        assert_eq!(section_of("24"), Some("IV"));
        assert_eq!(section_of("85"), Some("XVI"));
        assert_eq!(section_of("97"), Some("XXI"));
        assert_eq!(section_of("98"), None);
        assert_eq!(section_of("7"), None);
        assert_eq!(section_of("x1"), None);
        for n in 1..=97 {
            assert!(section_of(&format!("{n:02}")).is_some(), "{n}");
        }
    }

    #[test]
    fn competences_are_checked_with_pointers() {
        let c = Competences {
            hs_chapters: vec!["24".into(), "99".into()],
            ..Default::default()
        };
        let e = c.check().unwrap_err();
        assert_eq!(e.code, "COMPETENCE_CHAPTER");
        assert_eq!(e.field, "/hsChapters/1");
        let c = Competences {
            hs_sections: vec!["XXII".into()],
            ..Default::default()
        };
        assert_eq!(c.check().unwrap_err().field, "/hsSections/0");
    }

    #[test]
    fn only_competent_inspectors_with_room_are_chosen() {
        let cands = vec![
            inspector("tobacco", &["24"], &[], 5, 0),
            inspector("machines", &[], &["XVI"], 5, 0),
            inspector("full", &["24"], &[], 2, 2),
        ];
        for n in 0..50 {
            let d = choose(
                &subject(n, &["24"], TransportMode::Road),
                &cands,
                &DrawKey::default(),
                7,
            );
            assert_eq!(d.assigned.as_deref(), Some("tobacco"), "{d:?}");
            let full = d.considered.iter().find(|c| c.username == "full").unwrap();
            assert!(full.excluded.as_deref().unwrap().starts_with("at capacity"));
            let m = d
                .considered
                .iter()
                .find(|c| c.username == "machines")
                .unwrap();
            assert!(m.excluded.as_deref().unwrap().contains("24"));
        }
        // Items of two chapters need both.
        let d = choose(
            &subject(1, &["24", "85"], TransportMode::Road),
            &cands,
            &DrawKey::default(),
            7,
        );
        assert_eq!(d.assigned, None);
        assert!(d.explanation.starts_with("left in the office queue"));
    }

    #[test]
    fn empty_lists_mean_all_and_transport_modes_filter() {
        let mut any = inspector("any", &[], &[], 3, 0);
        let d = choose(
            &subject(1, &["85"], TransportMode::Air),
            &[any.clone()],
            &DrawKey::default(),
            1,
        );
        assert_eq!(d.assigned.as_deref(), Some("any"));
        any.competences.transport_modes = vec![TransportMode::Road];
        let d = choose(
            &subject(1, &["85"], TransportMode::Air),
            &[any.clone()],
            &DrawKey::default(),
            1,
        );
        assert_eq!(d.assigned, None);
        assert!(d.explanation.contains("transport mode air"));
        any.active = false;
        let d = choose(
            &subject(1, &["85"], TransportMode::Road),
            &[any],
            &DrawKey::default(),
            1,
        );
        assert!(d.explanation.contains("inactive"));
        let d = choose(
            &subject(1, &["85"], TransportMode::Road),
            &[],
            &DrawKey::default(),
            1,
        );
        assert!(d.explanation.contains("no inspector is registered"));
    }

    #[test]
    fn the_draw_is_keyed() {
        let cands = vec![
            inspector("a", &[], &[], 100, 0),
            inspector("b", &[], &[], 100, 0),
        ];
        let one = DrawKey::new(1, [1; 32]);
        let two = DrawKey::new(2, [2; 32]);
        let mut differ = 0;
        for n in 0..100 {
            let s = subject(n, &["01"], TransportMode::Road);
            let d1 = choose(&s, &cands, &one, 3);
            let d2 = choose(&s, &cands, &two, 3);
            assert_eq!(d1.secret_id, Some(1));
            assert_eq!(
                d1.draw,
                Some(one.draw_u64(PURPOSE_DISPATCH, 3, s.mrn.as_str()) % 200)
            );
            if d1.draw != d2.draw {
                differ += 1;
            }
        }
        assert!(differ > 95, "{differ}");
    }

    #[test]
    fn the_draw_is_reproducible_and_favours_free_capacity() {
        let cands = vec![
            inspector("a", &[], &[], 10, 9),
            inspector("b", &[], &[], 10, 0),
        ];
        let s = subject(5, &["01"], TransportMode::Road);
        assert_eq!(
            choose(&s, &cands, &DrawKey::default(), 3),
            choose(&s, &cands, &DrawKey::default(), 3)
        );
        let mut to_b = 0;
        for n in 0..1000 {
            let d = choose(
                &subject(n, &["01"], TransportMode::Road),
                &cands,
                &DrawKey::default(),
                3,
            );
            let draw = d.draw.unwrap();
            assert!(draw < 11);
            // The same inspector follows from the draw: a has weight 1.
            assert_eq!(
                d.assigned.as_deref(),
                Some(if draw < 1 { "a" } else { "b" })
            );
            to_b += usize::from(d.assigned.as_deref() == Some("b"));
        }
        assert!((850..=960).contains(&to_b), "{to_b}");
        // Input order does not matter.
        let rev: Vec<Candidate> = cands.iter().rev().cloned().collect();
        assert_eq!(
            choose(&s, &cands, &DrawKey::default(), 3),
            choose(&s, &rev, &DrawKey::default(), 3)
        );
    }
}
