//! Storage stories of the operations tables (issue 4): facts, metrics and
//! snapshots of the trader twin, AEO status, inspectors, tasks with their
//! dispatch decisions, results and findings, labels and the pump cursor.
//! Each runs on SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use tamga_core::codes::{CountryCode, Eori, Mrn, MrnCategory, OfficeCode};
use tamga_core::declaration::TransportMode;
use tamga_core::dispatch::{Competences, DispatchDecision};
use tamga_core::lifecycle::{Channel, ControlOutcome, State};
use tamga_core::traders::{self, DeclarationFacts, TraderMetrics};
use tamga_store::ops_sql::{
    AeoStatus, FactsRow, Finding, Inspector, NewLabel, NewSnapshot, OpsBatch, Task, TaskQuery,
    TaskStatus,
};
use tamga_store::Store;

stories!(twin_rows_round_trip, tasks_results_and_labels);

fn mrn(n: u64) -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        n,
        MrnCategory::Import,
    )
    .unwrap()
}

fn office() -> OfficeCode {
    OfficeCode::parse("UZ000100").unwrap()
}

fn decision(who: Option<&str>, why: &str) -> DispatchDecision {
    DispatchDecision {
        assigned: who.map(str::to_owned),
        seed: 9,
        secret_id: None,
        draw: who.map(|_| 0),
        considered: vec![],
        explanation: why.into(),
    }
}

async fn twin_rows_round_trip(store: std::sync::Arc<dyn Store>) {
    let op = Eori::parse("UZ000000000101").unwrap();
    assert_eq!(store.ops_cursor().await.unwrap(), 0);
    assert!(store.ops_events_after(0, 10).await.unwrap().is_empty());
    let facts = DeclarationFacts {
        channel: Some(Channel::Red),
        state: Some(State::UnderControl),
        customs_value: Decimal::new(12345, 2),
        controls: 1,
        findings: true,
        amendments: 0,
        awaited_payment: false,
    };
    let mut m = TraderMetrics::default();
    m.add(&facts, 1);
    let a = traders::assess(&m, false, 10);
    let now = OffsetDateTime::now_utc();
    store
        .ops_apply(&OpsBatch {
            cursor: Some(42),
            facts: vec![FactsRow {
                mrn: mrn(1),
                declarant: op.clone(),
                facts: facts.clone(),
            }],
            metrics: vec![(op.clone(), m.clone())],
            snapshots: vec![NewSnapshot {
                operator: op.clone(),
                at: now,
                assessment: a.clone(),
                metrics: m.clone(),
                changes: vec!["first assessment: high".into()],
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(store.ops_cursor().await.unwrap(), 42);
    let f = store.ops_facts(&[mrn(1), mrn(2)]).await.unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].facts, facts);
    // Facts are replaced, not duplicated.
    let mut f2 = facts.clone();
    f2.state = Some(State::Released);
    store
        .ops_apply(&OpsBatch {
            facts: vec![FactsRow {
                mrn: mrn(1),
                declarant: op.clone(),
                facts: f2.clone(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(store.ops_facts(&[mrn(1)]).await.unwrap()[0].facts, f2);
    assert_eq!(store.ops_cursor().await.unwrap(), 42, "cursor kept");
    let rows = store.trader_metrics_all().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].metrics, m);
    assert_eq!(rows[0].assessment.as_ref(), Some(&a));
    let snaps = store.trader_snapshots(&op, 10).await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].assessment, a);
    assert_eq!(snaps[0].changes, ["first assessment: high"]);

    let s = AeoStatus {
        operator: op.clone(),
        aeo: true,
        reference: Some("R1".into()),
        updated_at: now,
        updated_by: "admin".into(),
    };
    store.set_aeo(&s).await.unwrap();
    store
        .set_aeo(&AeoStatus {
            aeo: false,
            reference: None,
            ..s.clone()
        })
        .await
        .unwrap();
    let all = store.aeo_all().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].aeo);
    assert_eq!(all[0].reference, None);
}

async fn tasks_results_and_labels(store: std::sync::Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let i = Inspector {
        username: "officer".into(),
        office: office(),
        competences: Competences {
            hs_chapters: vec!["24".into()],
            hs_sections: vec!["XVI".into()],
            transport_modes: vec![TransportMode::Road],
        },
        capacity: 3,
        active: true,
        supervisor: false,
        updated_at: now,
    };
    store.put_inspector(&i).await.unwrap();
    store
        .put_inspector(&Inspector {
            capacity: 5,
            ..i.clone()
        })
        .await
        .unwrap();
    let list = store.inspectors().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].capacity, 5);
    assert_eq!(list[0].competences, i.competences);

    let task = |n: u64, who: Option<&str>| Task {
        mrn: mrn(n),
        office: office(),
        channel: Channel::Red,
        status: TaskStatus::Open,
        inspector: who.map(str::to_owned),
        created_at: now,
        assigned_at: who.map(|_| now),
        dispatch: decision(who, "x"),
        outcome: None,
        result_by: None,
        result_at: None,
        closed_at: None,
    };
    store
        .ops_apply(&OpsBatch {
            new_tasks: vec![task(1, Some("officer")), task(2, None), task(3, None)],
            ..Default::default()
        })
        .await
        .unwrap();
    // A second insert of the same task changes nothing.
    store
        .ops_apply(&OpsBatch {
            new_tasks: vec![task(1, None)],
            assignments: vec![(
                mrn(2),
                "officer".into(),
                decision(Some("officer"), "queue"),
                now,
            )],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .task(&mrn(1))
            .await
            .unwrap()
            .unwrap()
            .inspector
            .as_deref(),
        Some("officer")
    );
    let t2 = store.task(&mrn(2)).await.unwrap().unwrap();
    assert_eq!(t2.inspector.as_deref(), Some("officer"));
    assert_eq!(t2.dispatch.explanation, "queue");
    assert_eq!(
        store.open_task_counts().await.unwrap(),
        [("officer".to_owned(), 2)]
    );
    let queued = store
        .tasks(&TaskQuery {
            office: Some(office()),
            status: Some(TaskStatus::Open),
            unassigned: true,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].mrn, mrn(3));

    // Result with findings, then the declaration leaves control.
    let findings = vec![
        Finding {
            kind: "undervaluation".into(),
            item: Some(1),
            declared_value: Some("100".into()),
            corrected_value: Some("250".into()),
            additional_duties: "30.5".into(),
            description: None,
        },
        Finding {
            kind: "other".into(),
            item: None,
            declared_value: None,
            corrected_value: None,
            additional_duties: "0".into(),
            description: Some("seal broken".into()),
        },
    ];
    store
        .record_task_result(&mrn(1), "officer", ControlOutcome::Findings, &findings, now)
        .await
        .unwrap();
    let stored = store.findings(&mrn(1)).await.unwrap();
    assert_eq!(
        stored.iter().map(|f| f.finding.clone()).collect::<Vec<_>>(),
        findings
    );
    assert_eq!(stored[0].officer, "officer");
    store
        .ops_apply(&OpsBatch {
            closed_tasks: vec![(mrn(1), now)],
            labels: vec![
                NewLabel {
                    mrn: mrn(1),
                    inspected: true,
                    outcome: Some(ControlOutcome::Findings),
                    final_state: "released".into(),
                    at: now,
                },
                NewLabel {
                    mrn: mrn(9),
                    inspected: false,
                    outcome: None,
                    final_state: "released".into(),
                    at: now,
                },
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let t1 = store.task(&mrn(1)).await.unwrap().unwrap();
    assert_eq!(t1.status, TaskStatus::Done);
    assert_eq!(t1.outcome, Some(ControlOutcome::Findings));
    assert_eq!(t1.result_by.as_deref(), Some("officer"));
    assert!(t1.closed_at.is_some());
    // A done task cannot be reassigned.
    assert!(!store
        .assign_task(&mrn(1), Some("x"), &decision(Some("x"), "y"), now)
        .await
        .unwrap());
    assert!(store
        .assign_task(
            &mrn(3),
            Some("officer"),
            &decision(Some("officer"), "y"),
            now
        )
        .await
        .unwrap());
    // Its declaration goes back under control: the task opens again, new.
    store
        .ops_apply(&OpsBatch {
            new_tasks: vec![task(1, None)],
            ..Default::default()
        })
        .await
        .unwrap();
    let t1 = store.task(&mrn(1)).await.unwrap().unwrap();
    assert_eq!(t1.status, TaskStatus::Open);
    assert_eq!((t1.outcome, t1.result_by, t1.closed_at), (None, None, None));
    assert_eq!(t1.inspector, None);

    let labels = store.labels(0, 10).await.unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0].mrn, mrn(1));
    assert_eq!(labels[0].finding_kinds, ["other", "undervaluation"]);
    assert_eq!(labels[1].finding_kinds, Vec::<String>::new());
    assert!(!labels[1].inspected);
    // Cursor pagination.
    let rest = store.labels(labels[0].id, 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].mrn, mrn(9));
}
