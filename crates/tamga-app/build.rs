//! Build script: sets the `tamga_pg` cfg when `TAMGA_TEST_PG_URL` names a
//! PostgreSQL server, so the PostgreSQL variants of the tests run; without
//! it they are reported as ignored instead of passing unrun.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tamga_pg)");
    println!("cargo::rerun-if-env-changed=TAMGA_TEST_PG_URL");
    if std::env::var_os("TAMGA_TEST_PG_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=tamga_pg");
    }
}
