//! `tamga admin`: what the person running the service does on its machine
//! (no administrator exists yet, or every administrator is locked out).
//! Both acts are audited with the actor `cli`.
//!
//! - `create-admin`: a central administrator, or an office administrator
//!   with `--office`; a generated password is printed once (and must be
//!   changed at the first login), or `--password-stdin` reads one.
//! - `reset-password`: a one-time password printed once; the user must
//!   change it at the next login; its sessions are revoked.

use std::io::BufRead;

use tamga_app::identity::login::{self, IdentityError};
use tamga_core::codes::OfficeCode;

use crate::DbArgs;

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an administrator: central, or of the given offices.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// The person's full name.
        #[arg(long)]
        name: String,
        /// An office the administrator manages (repeat for several); none
        /// for a central administrator.
        #[arg(long = "office", value_name = "CODE")]
        offices: Vec<String>,
        /// Read the password from the first line of standard input instead
        /// of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Reset a user's password: prints a one-time password that must be
    /// changed at the next login; the user's sessions are revoked.
    ResetPassword {
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

async fn open(db: &DbArgs) -> Result<std::sync::Arc<dyn tamga_store::Store>, String> {
    if db.database_url.is_none() {
        std::fs::create_dir_all(&db.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                db.data_dir.display()
            )
        })?;
    }
    tamga_store::open(&db.url())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

fn message(e: IdentityError) -> String {
    format!("{} ({})", e, e.code())
}

pub async fn run(cmd: AdminCommand) -> Result<(), String> {
    let now = time::OffsetDateTime::now_utc();
    match cmd {
        AdminCommand::CreateAdmin {
            username,
            name,
            offices,
            password_stdin,
            db,
        } => {
            let offices = offices
                .iter()
                .map(|o| OfficeCode::parse(o).map_err(|e| format!("--office {o}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the password: {e}"))?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let store = open(&db).await?;
            let generated =
                login::create_admin(&store, &username, &name, offices.clone(), password, now)
                    .await
                    .map_err(message)?;
            let scope = if offices.is_empty() {
                "central administrator".to_owned()
            } else {
                format!(
                    "administrator of {}",
                    offices
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            eprintln!("created {username}, {scope}");
            if let Some(p) = generated {
                eprintln!("password (shown once; to be changed at the first login):");
                crate::out(p)?;
            }
            Ok(())
        }
        AdminCommand::ResetPassword { username, db } => {
            let store = open(&db).await?;
            let p = login::cli_reset(&store, &username, now)
                .await
                .map_err(message)?;
            eprintln!(
                "one-time password of {username} (shown once; to be changed at the next login):"
            );
            crate::out(p)
        }
    }
}
