//! The `tamga` binary: a thin clap front over the crates.
//!
//! - `serve`: run the service (SQLite under ./tamga-data by default).
//! - `demo`: print the demo credentials.
//! - `example`, `sign`, `lodge`: the command-line tour.
//! - `simulate`: realistic traffic against a running server.
//! - `bench pipeline`: the whole pipeline in-process with durable commits.
//! - `hs`: the HS classification assistant (suggest, predict, evaluate).
//! - `admin`: create an administrator, reset a password (on the machine).
//! - `messages`: WCO DEC-DMS XML in and out, conformance over a folder.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc: lodging is allocation-heavy (JSON, events, SQL batches) and
/// glibc malloc showed up as a quarter of the profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (its `mimalloc.h`;
/// the Rust binding names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Memory freed and not reused for this long goes back to the OS. mimalloc's
/// 1 s default made a busy service hand pages back between bursts and fault
/// them in again, the kernel zeroing each: ~4 % of lodging CPU.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

fn tune_allocator() {
    // SAFETY: sets a plain option value; mimalloc reads it at each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

mod admin_cmd;
mod bench;
mod bench_identity;
mod bench_ledger;
mod bench_portal;
mod bench_risk;
mod hs_cmd;
mod messages_cmd;
mod risk_cmd;
mod serve;
mod simulate;
mod tariff_cmd;
mod tour;

#[derive(Parser)]
#[command(name = "tamga", version, about = "tamga: open digital customs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(clap::Args, Clone, Debug)]
pub struct DbArgs {
    /// Directory of the embedded SQLite database.
    #[arg(long, default_value = "./tamga-data", env = "TAMGA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead: postgres://user@host:port/db
    #[arg(long, env = "TAMGA_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => self.data_dir.join("tamga.db").display().to_string(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the tamga service.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "TAMGA_LISTEN")]
        listen: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
        /// Do not create the demo set-up on an empty database.
        #[arg(long)]
        no_demo: bool,
        /// Let traders' webhooks reach loopback addresses (127.0.0.0/8,
        /// ::1, localhost), e.g. the receiver of `tamga simulate`. For local
        /// testing only: never on a server others use.
        #[arg(long)]
        allow_loopback_webhooks: bool,
        /// Mark the session cookie `Secure` (sent over HTTPS only): set it
        /// when the service is reached over TLS (e.g. behind a proxy).
        #[arg(long, env = "TAMGA_SECURE_COOKIES")]
        secure_cookies: bool,
        #[command(flatten)]
        limits: serve::LimitArgs,
    },
    /// Print the demo credentials (local use only).
    Demo {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a valid example declaration for a demo trader.
    Example {
        /// Demo trader number, 1 to 9 (9 holds little money).
        #[arg(long, default_value_t = 1)]
        trader: usize,
        /// Seed (different seeds give different declarations and LRNs).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Put this HS code (6 digits) on the first goods item, e.g. 240220
        /// to meet a tobacco selectivity criterion.
        #[arg(long)]
        hs: Option<String>,
    },
    /// Sign a file with a base64 Ed25519 secret key; prints the base64
    /// detached signature.
    Sign {
        /// Base64 of the 32-byte secret seed (e.g. a demo trader's signingKey).
        #[arg(long, env = "TAMGA_SIGNING_KEY")]
        key: String,
        file: PathBuf,
    },
    /// Sign and lodge a declaration file (tamga's JSON, or WCO DEC-DMS XML
    /// when the file name ends in `.xml`): the outcome (HTTP status, MRN,
    /// state, channel or error codes) on stderr, the server's JSON answer on
    /// stdout.
    Lodge {
        /// Base URL of the running server.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "TAMGA_TARGET")]
        target: String,
        /// Lodge as demo trader N (1 to 9), with its demo token and key.
        #[arg(long, conflicts_with_all = ["token", "key"])]
        demo_trader: Option<usize>,
        /// API token (demo: `tamga demo`).
        #[arg(long, env = "TAMGA_TOKEN", required_unless_present = "demo_trader")]
        token: Option<String>,
        /// Base64 secret signing key.
        #[arg(
            long,
            env = "TAMGA_SIGNING_KEY",
            required_unless_present = "demo_trader"
        )]
        key: Option<String>,
        file: PathBuf,
    },
    /// Generate realistic traffic against a running server.
    Simulate(simulate::Args),
    /// Tariff files and the duty engine's reference cases.
    #[command(subcommand)]
    Tariff(tariff_cmd::TariffCommand),
    /// The learning risk model: train, score, evaluate.
    #[command(subcommand)]
    Risk(risk_cmd::RiskCommand),
    /// The HS classification assistant: suggest, predict, evaluate.
    #[command(subcommand)]
    Hs(hs_cmd::HsCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Administration on the service's machine: create an administrator,
    /// reset a password.
    #[command(subcommand)]
    Admin(admin_cmd::AdminCommand),
    /// Standard messages: WCO DEC-DMS XML in and out, conformance runs.
    #[command(subcommand)]
    Messages(messages_cmd::MessagesCommand),
}

/// Prints a line on stdout; a closed pipe (`tamga example | head`) is not
/// an error.
pub fn out(text: impl std::fmt::Display) -> Result<(), String> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TAMGA_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours on a terminal only, never in a redirected log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result: Result<(), String> = rt.block_on(async move {
        match cli.command {
            Command::Serve {
                listen,
                db,
                no_demo,
                allow_loopback_webhooks,
                secure_cookies,
                limits,
            } => {
                serve::run(
                    listen,
                    db,
                    limits,
                    !no_demo,
                    allow_loopback_webhooks,
                    secure_cookies,
                )
                .await
            }
            Command::Demo { json } => tour::print_demo(json),
            Command::Example { trader, seed, hs } => tour::example(trader, seed, hs.as_deref()),
            Command::Sign { key, file } => tour::sign(&key, &file),
            Command::Lodge {
                target,
                demo_trader,
                token,
                key,
                file,
            } => tour::lodge(&target, demo_trader, token, key, &file).await,
            Command::Simulate(args) => simulate::run(args).await,
            Command::Tariff(cmd) => tariff_cmd::run(cmd).await,
            Command::Risk(cmd) => risk_cmd::run(cmd),
            Command::Hs(cmd) => hs_cmd::run(cmd),
            Command::Bench(b) => bench::run(b).await,
            Command::Admin(cmd) => admin_cmd::run(cmd).await,
            Command::Messages(cmd) => messages_cmd::run(cmd),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Option 15 is the purge delay: mimalloc's default for it (1000 ms,
    /// unless `MIMALLOC_PURGE_DELAY` is set) until it is tuned.
    #[test]
    fn the_purge_delay_option_is_the_one_tuned() {
        let get = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(), 1000);
        }
        tune_allocator();
        assert_eq!(get(), PURGE_DELAY_MS);
    }
}
