//! The demo's sync machinery: start it, ask for the first sync, stop it.
//!
//! TEMPORARY until the job queue runs product jobs (h/jobs): the first sync runs in a task of
//! this process through the engine, import first, then an export to every other channel.

use std::sync::Arc;

use techoms_app::engine::{self, EngineOptions, NoSink, RegistryConnectors, Trigger};
use techoms_app::{Access, App};
use techoms_domain::{JobKind, RunId};
use tokio::task::JoinHandle;

use super::seed::app_error;

pub struct Runtime {
    app: App,
    tasks: Vec<JoinHandle<()>>,
}

impl Runtime {
    pub async fn start(app: &App) -> anyhow::Result<Runtime> {
        Ok(Runtime {
            app: app.clone(),
            tasks: Vec::new(),
        })
    }

    /// Queue the account's sync (an import from the master; exports follow). Returns the
    /// import's run.
    pub async fn request_first_sync(&mut self, access: &Access) -> anyhow::Result<RunId> {
        let app = self.app.clone();
        let account = access.account.id;
        let plan = engine::plan_for(&app, account).await.map_err(app_error)?;
        let master = plan
            .import
            .ok_or_else(|| anyhow::anyhow!("the demo account has no master channel"))?;
        let run = engine::create_run(
            &app,
            account,
            master,
            JobKind::ImportProducts,
            Trigger::Manual,
            false,
        )
        .await
        .map_err(app_error)?;
        let run_id = run.id;
        let provider = Arc::new(RegistryConnectors::new(reqwest::Client::new()));
        self.tasks.push(tokio::spawn(async move {
            let opts = EngineOptions::default();
            let report =
                match engine::execute(&app, provider.as_ref(), account, run_id, &opts, &mut NoSink)
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(error = %e, "import failed");
                        return;
                    }
                };
            if !report.changed() {
                return;
            }
            for ch in plan.exports {
                match engine::create_run(
                    &app,
                    account,
                    ch,
                    JobKind::ExportProducts,
                    Trigger::Propagation,
                    false,
                )
                .await
                {
                    Ok(r) => {
                        if let Err(e) = engine::execute(
                            &app,
                            provider.as_ref(),
                            account,
                            r.id,
                            &opts,
                            &mut NoSink,
                        )
                        .await
                        {
                            tracing::error!(error = %e, "export failed");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "export not created"),
                }
            }
        }));
        Ok(run_id)
    }

    pub async fn shutdown(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}
