//! `techoms admin …`: bootstrap and administration from the command line.

use clap::Subcommand;
use techoms_app::{AppError, accounts};

use crate::settings::{CommonArgs, Settings};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create (or reuse) an organization, create an account and its administrator, and print
    /// the account id and its API key.
    CreateAccount {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        /// The administrator's password (at least 8 characters).
        #[arg(long, env = "TECHOMS_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Print exactly one JSON object: organization_id, account_id, user_id, api_key.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(common: &CommonArgs, cmd: AdminCommand) -> anyhow::Result<()> {
    let settings = Settings::resolve(common, None)?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    let app = super::open_app(&settings, true).await?;
    let result = match cmd {
        AdminCommand::CreateAccount {
            organization,
            account,
            email,
            password,
            json,
        } => {
            let created = accounts::bootstrap(&app, &organization, &account, &email, &password)
                .await
                .map_err(describe)?;
            if json {
                println!("{}", serde_json::to_string(&created)?);
            } else {
                println!("organization id: {}", created.organization_id);
                println!("account id:      {}", created.account_id);
                println!("account code:    {}", created.account_code);
                println!(
                    "user id:         {} ({})",
                    created.user_id,
                    created.role.label()
                );
                println!("API key:         {}", created.api_key);
                println!(
                    "(the API key is shown only now; regenerate it from Account settings if lost)"
                );
            }
            Ok(())
        }
    };
    app.db.close().await;
    result
}

/// Field errors as one line: "email: is not an e-mail address; password: …".
fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| format!("--{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
