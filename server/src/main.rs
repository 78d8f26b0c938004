//! `gatehouse`: serve the app (default), or migrate / load demo data and exit.
use app::server::config::Config;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    about = "Gatehouse: access and ownership for integrations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Re-encrypt every app-instance secret under the first key of SECRET_KEYS.
    RotateSecrets,
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            server::connect(&config).await.map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::RotateSecrets => {
            let pool = server::connect(&config).await.map_err(|e| e.to_string())?;
            let n = app::instances::service::rotate_secrets(&pool, &config.keyring)
                .await
                .map_err(|e| format!("rotation stopped: {e}"))?;
            println!(
                "re-encrypted {n} secret(s) under key {:?}",
                config.keyring.current_id()
            );
            Ok(())
        }
        Command::Serve => serve(config).await,
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let started = std::time::Instant::now();
    let addr = config.addr;
    let demo = config.demo_data;
    let (router, state) = server::build_app(config).await.map_err(|e| e.to_string())?;
    if state.config.run_mail_worker {
        match &state.config.smtp_url {
            Some(url) => {
                let mailer = app::server::mail::Mailer::new(url, &state.config.mail_from)?;
                tokio::spawn(app::server::mail::run_worker(state.pool.clone(), mailer));
            }
            None => tracing::warn!(
                "SMTP_URL is not set: mail stays in the outbox; read it at /dev/mail"
            ),
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let url = &state.config.public_url;
    println!(
        "Gatehouse is serving on {url}  (ready in {} ms)",
        started.elapsed().as_millis()
    );
    if demo {
        println!(
            "Demo sign-ins (password \"{}\"):",
            app::server::demo::PASSWORD
        );
        for (email, name, role) in app::server::demo::PEOPLE {
            println!(
                "  {email:<24} {name:<18} {}",
                role.unwrap_or("integration partner")
            );
        }
    }
    if state.config.mail_viewer_enabled() {
        println!("Mail viewer: {url}/dev/mail");
    }
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}
