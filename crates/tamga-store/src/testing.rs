//! Test databases for the story suites of this crate and of the crates
//! above it: SQLite in a temporary directory always; PostgreSQL when
//! `TAMGA_TEST_PG_URL` names a server, in a fresh database per test that
//! is dropped afterwards (even when the test panics), so tests can run in
//! parallel. The PostgreSQL variants are marked
//! `#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]`
//! (the `tamga_pg` cfg comes from the build scripts of the crates holding
//! them), so without a server they show as ignored, not as passed.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use crate::Store;

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_URL_VAR: &str = "TAMGA_TEST_PG_URL";

pub struct TestDb {
    /// What [`crate::open`] takes.
    pub url: String,
    backend: &'static str,
    /// (admin URL, database name) to drop at the end.
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A SQLite database in a fresh temporary directory (a nested path, so
    /// opening it also creates directories).
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join("tamga.db");
        TestDb {
            url: path.display().to_string(),
            backend: "sqlite",
            pg: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database, or `None` when `TAMGA_TEST_PG_URL` is
    /// not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var(PG_URL_VAR).ok().filter(|u| !u.is_empty())?;
        let name = format!("tamga_t_{}", random_hex());
        let admin = admin_pool(&admin_url).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        Some(TestDb {
            url: with_database(&admin_url, &name),
            backend: "postgres",
            pg: Some((admin_url, name)),
            _dir: None,
        })
    }

    /// A fresh PostgreSQL database for a test's PostgreSQL variant. Those
    /// variants carry `#[cfg_attr(not(tamga_pg), ignore = "…")]`: the
    /// crates' build scripts set the `tamga_pg` cfg only when
    /// `TAMGA_TEST_PG_URL` is set, so without it they are reported as
    /// ignored, and one that runs has a server. Panics if it has none
    /// rather than passing without having run.
    pub async fn postgres_variant() -> TestDb {
        Self::postgres().await.unwrap_or_else(|| {
            panic!("{PG_URL_VAR} is not set: a PostgreSQL variant ran without a server")
        })
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Opens (or re-opens, like a restart) the store.
    pub async fn open(&self) -> Arc<dyn Store> {
        crate::open(&self.url).await.expect("open test store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else {
            return;
        };
        // Drop runs outside any async context we could borrow: use a
        // thread with its own small runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let admin = admin_pool(&admin_url).await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await;
                admin.close().await;
            });
        })
        .join();
    }
}

fn random_hex() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

/// The URL with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

async fn admin_pool(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to TAMGA_TEST_PG_URL")
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
