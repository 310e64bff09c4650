//! The storage stories, one binary (so one link) for all of them: each runs
//! on SQLite always and on PostgreSQL when `TAMGA_TEST_PG_URL` is set. Run
//! one suite with e.g. `cargo test -p tamga-store --test it ledger::`.

/// `stories!(a, b)`: the async fns `a(store)`, `b(store)` of the module
/// as tests, each on a fresh SQLite database and, ignored unless
/// `TAMGA_TEST_PG_URL` is set, on PostgreSQL (modules `sqlite` and
/// `postgres`).
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = tamga_store::testing::TestDb::sqlite().await;
                super::$name(db.open().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
            async fn $name() {
                let db = tamga_store::testing::TestDb::postgres_variant().await;
                super::$name(db.open().await).await;
            })*
        }
    };
}

mod aggregates;
mod appeals;
mod drafts;
mod draw_secrets;
mod ledger;
mod mandates;
mod models;
mod ops;
mod people;
mod risk;
mod sessions;
mod story;
mod tokens;
mod values;
