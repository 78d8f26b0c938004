//! `gatehouse`: serve the app (default), or migrate / load demo data and exit.
use app::server::config::Config;
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

// A page render allocates many small strings and nodes; glibc's malloc took a third of
// the server's time under load (perf, issue 13). mimalloc is the field's usual answer.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Make a personal access token for someone with a verified address and print it
    /// (only the token, on standard output): to bootstrap scripts and the CLI.
    IssueToken {
        /// The person's email address.
        #[arg(long)]
        email: String,
        /// A name that says what the token is for.
        #[arg(long, default_value = "issued by an operator")]
        name: String,
        /// `read` or `read_write`.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires (1 to 366).
        #[arg(long, default_value_t = 30)]
        days: i32,
    },
    /// Make a platform token (PL-1) and print it (only the token, on standard output): the
    /// credential of the service that runs Zaps, for `/api/v1/check` and webhooks.
    IssuePlatformToken {
        /// A name that says which platform it is for.
        #[arg(long, default_value = "the platform")]
        name: String,
        /// Days until it expires (1 to 366).
        #[arg(long, default_value_t = 90)]
        days: i32,
    },
    /// Let someone with a verified address see and resend event deliveries
    /// (/operator/events), or with --off take that away.
    Operator {
        /// The person's email address.
        #[arg(long)]
        email: String,
        #[arg(long)]
        off: bool,
    },
    /// Check the history's hash chains (HI-2): every chain, or one. Prints each chain's
    /// latest checkpoint (keep it outside Gatehouse) and the first entry that does not
    /// match; exits with 1 when one does not.
    VerifyHistory {
        /// One chain, e.g. `account:<id>` or `integration:<id>`; all when absent.
        #[arg(long)]
        chain: Option<String>,
        /// A checkpoint kept earlier (`seq:hash`), for the one chain given.
        #[arg(long, requires = "chain")]
        checkpoint: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| server::DEFAULT_LOG_FILTER.into()),
        )
        // Logs on standard error, so `issue-token`'s output is the token alone.
        .with_writer(std::io::stderr)
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
        Command::IssueToken {
            email,
            name,
            scope,
            days,
        } => {
            let pool = server::connect(&config).await.map_err(|e| e.to_string())?;
            let made = app::tokens::service::issue(&pool, &email, &name, &scope, days)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", made.token);
            Ok(())
        }
        Command::IssuePlatformToken { name, days } => {
            let pool = server::connect(&config).await.map_err(|e| e.to_string())?;
            let text = app::platform::tokens::issue(&pool, &name, days)
                .await
                .map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(())
        }
        Command::Operator { email, off } => {
            let pool = server::connect(&config).await.map_err(|e| e.to_string())?;
            let done = sqlx::query(
                "UPDATE users SET is_operator = $2 WHERE email = lower($1) AND email_verified_at IS NOT NULL",
            )
            .bind(email.trim())
            .bind(!off)
            .execute(&pool)
            .await
            .map_err(|e| e.to_string())?;
            if done.rows_affected() == 0 {
                return Err(format!(
                    "no one with the verified address {email} is signed up here"
                ));
            }
            println!(
                "{email} is {}an operator",
                if off { "no longer " } else { "" }
            );
            Ok(())
        }
        Command::VerifyHistory { chain, checkpoint } => {
            let pool = server::connect(&config).await.map_err(|e| e.to_string())?;
            let kept = match checkpoint.as_deref() {
                None => None,
                Some(text) => Some(app::history::Checkpoint::parse(text).ok_or(
                    "a checkpoint is the entry number and its SHA-256 in hex: 12:9f86d0…",
                )?),
            };
            let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
            let chains = match chain {
                Some(c) => vec![c],
                None => app::history::service::chains(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?,
            };
            let mut bad = 0;
            for c in &chains {
                let check = app::history::service::verify_chain(&mut conn, c, kept.as_ref())
                    .await
                    .map_err(|e| e.to_string())?;
                let head = check
                    .head
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "-".into());
                match check.problem {
                    None => println!("ok       {c}  {} entries  checkpoint {head}", check.entries),
                    Some(p) => {
                        bad += 1;
                        println!("TAMPERED {c}  {p}");
                    }
                }
            }
            if bad > 0 {
                return Err(format!("{bad} of {} chain(s) do not verify", chains.len()));
            }
            Ok(())
        }
        Command::Serve => serve(config).await,
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let started = std::time::Instant::now();
    let limits = server::Limits::from_lookup(|k| std::env::var(k).ok())?;
    if let Some(warning) = server::dev_mode_warning(&config) {
        eprintln!("{warning}");
    }
    let addr = config.addr;
    let demo = config.demo_data;
    let (router, state) = server::build_app(config, limits)
        .await
        .map_err(|e| e.to_string())?;
    // Cancelled by SIGTERM or Ctrl-C: the server stops accepting, the mail worker stops
    // after its current batch.
    let stop = CancellationToken::new();
    let mut worker = None;
    if state.config.run_mail_worker {
        if let Some(url) = &state.config.smtp_url {
            let mailer = app::server::mail::Mailer::new(url, &state.config.mail_from)?;
            worker = Some(tokio::spawn(app::server::mail::run_worker(
                state.pool.clone(),
                mailer,
                stop.clone().cancelled_owned(),
            )));
        }
    }
    // Ends and reminders of dated access (AX-3): safe to run on every server at once.
    let access_worker = state.config.run_access_worker.then(|| {
        tokio::spawn(app::access::worker::run(
            state.clone(),
            stop.clone().cancelled_owned(),
        ))
    });
    // Event deliveries to the platform (PL-3): safe on every server at once.
    let event_worker = state.config.run_event_worker.then(|| {
        tokio::spawn(app::platform::events::run(
            state.clone(),
            stop.clone().cancelled_owned(),
        ))
    });
    if let Some(notice) = server::mail_notice(&state.config) {
        eprintln!("{notice}");
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
        println!("Mail viewer (development mode, open to anyone who can reach this server): {url}/dev/mail");
    }
    let signal = {
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            stop.cancel();
        }
    };
    let served = server::serve(listener, router, signal).await;
    stop.cancel();
    if let Some(worker) = worker {
        tracing::info!("waiting for the mail worker to finish its batch");
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "the mail worker ended abnormally");
        }
    }
    if let Some(Err(e)) = match event_worker {
        Some(w) => Some(w.await),
        None => None,
    } {
        tracing::error!(error = %e, "the event worker ended abnormally");
    }
    if let Some(Err(e)) = match access_worker {
        Some(w) => Some(w.await),
        None => None,
    } {
        tracing::error!(error = %e, "the access worker ended abnormally");
    }
    tracing::info!("stopped");
    served.map_err(|e| e.to_string())
}

/// Ctrl-C, or SIGTERM (what `docker stop`, systemd and Kubernetes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
