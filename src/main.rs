//! The `authlens` binary: command line, logging, runtime, signals. Errors end here as `anyhow`.
#![forbid(unsafe_code)]

use anyhow::Context;
use authlens::cli::{Cli, Command, RunArgs};
use authlens::config::{self, ConfigError, Overrides};
use clap::Parser;
use std::process::ExitCode;

/// jemalloc with a background purge thread gives memory back to the OS about a second after a
/// surge (glibc's malloc kept most of the buffers of thousands of closed keep-alive
/// connections; mimalloc kept them too, freed from other threads).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Dropped last, on every way out of main: the log lines still batched are written.
    let _logs = authlens::telemetry::logging::FlushOnDrop;
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { file } => check_config(&file),
        Command::Explain {
            config,
            jwks,
            json,
            token,
        } => match explain(config, jwks, json, token) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("authlens explain: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Demo {
            listen,
            admin_listen,
            once,
            logs,
        } => match demo(listen, admin_listen, once, logs) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("authlens demo: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Top {
            admin,
            once,
            interval,
        } => match top(admin, once, interval) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("authlens top: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Run(args) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("authlens: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn check_config(file: &std::path::Path) -> ExitCode {
    match config::load_file(file, &Overrides::default()) {
        Ok(_) => {
            println!("{}: valid", file.display());
            ExitCode::SUCCESS
        }
        Err(ConfigError::Invalid(problems)) => {
            for p in &problems {
                eprintln!("{}:{p}", file.display());
            }
            eprintln!("{}: {} problem(s)", file.display(), problems.len());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let source = config::Source {
        overrides: Overrides {
            listen: args.listen.clone(),
            admin_listen: args.admin_listen.clone(),
            upstream: args.upstream.clone(),
            workers: args.workers,
        },
        path: args.config,
    };
    let settings = source.load()?;
    authlens::telemetry::logging::init(&settings.live.log_level, settings.fixed.log_format);
    authlens::telemetry::contain::install_panic_hook();
    // Test switch (debug builds): a panic that ends the process must still leave its log line.
    authlens::base::fault::trip("startup");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // Background work only (signals, key refresh, health, admin): the proxy runs on its own
    // single-threaded worker runtimes, `settings.fixed.workers` of them (see app).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let drained = runtime.block_on(async {
        // Installed before the listeners open: SIGHUP's default action would end the process.
        let reloads = authlens::app::Reloads {
            requests: reload_requests().context("installing the SIGHUP handler")?,
            source,
        };
        let run = authlens::app::run_reloading(settings, reloads, shutdown_signal(), |_, _| {});
        anyhow::Ok(run.await?)
    })?;
    if !drained {
        tracing::warn!(message = "drain deadline passed with requests still in flight");
    }
    Ok(())
}

/// Prints the explanation; returns whether the token passes every check.
fn explain(
    config: Option<std::path::PathBuf>,
    jwks: Option<String>,
    json: bool,
    token: Option<String>,
) -> anyhow::Result<bool> {
    let token = match token.as_deref() {
        Some(t) if t != "-" => t.to_string(),
        _ => std::io::read_to_string(std::io::stdin())
            .context("reading the token from standard input")?,
    };
    // explain never contacts the upstream; this placeholder satisfies validation for a file
    // that names none.
    let overrides = Overrides {
        upstream: Some("http://127.0.0.1:9".into()),
        ..Overrides::default()
    };
    let policy = match &config {
        Some(path) => Some(config::load_file(path, &overrides)?.live.policy),
        None => None,
    };
    authlens::telemetry::logging::init("error", authlens::config::LogFormat::Plain);
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let keys = jwks.as_deref().map(authlens::explain::KeySource::parse);
    let report = runtime.block_on(authlens::explain::explain(policy, &token, keys))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", authlens::explain::text(&report));
    }
    Ok(report.valid())
}

/// Runs the tour; with `once`, returns whether every verdict matched.
fn demo(listen: String, admin_listen: String, once: bool, logs: bool) -> anyhow::Result<bool> {
    use authlens::config::LogFormat;
    use std::io::IsTerminal;
    if logs {
        authlens::telemetry::logging::init("warn", LogFormat::Plain);
    } else {
        // The sidecar's own lines, as it writes them in production, kept off the screen.
        let path = std::env::temp_dir().join(format!("authlens-demo-{}.log", std::process::id()));
        let file = std::fs::File::create(&path)
            .with_context(|| format!("creating the log file {}", path.display()))?;
        authlens::telemetry::logging::init_to("info", LogFormat::Json, std::sync::Mutex::new(file));
        println!("authlens's own log lines (JSON): {}", path.display());
    }
    let colour = std::io::stdout().is_terminal();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        if once {
            let _ = done_rx.await;
        } else {
            shutdown_signal().await;
        }
    };
    let options = authlens::demo::DemoOptions {
        listen,
        admin_listen,
        keep_traffic: !once,
    };
    let rows = runtime.block_on(authlens::demo::run(
        options,
        shutdown,
        move |rows, proxy, admin| {
            print!("\n{}", authlens::demo::table(rows, colour));
            if once {
                let _ = done_tx.send(());
            } else {
                let every = authlens::demo::TRAFFIC_EVERY.as_secs();
                print!("{}", authlens::demo::where_to_look(proxy, admin, every));
            }
        },
    ))?;
    Ok(rows.iter().all(|r| r.matches()))
}

fn top(admin: String, once: bool, interval: u64) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let options = authlens::top::TopOptions {
        admin,
        once,
        interval: std::time::Duration::from_secs(interval),
    };
    Ok(runtime.block_on(authlens::top::run(options))?)
}

/// SIGHUP asks for a reload. Signals arriving while one is pending collapse into it, since a
/// reload reads the file as it is then.
fn reload_requests() -> std::io::Result<tokio::sync::mpsc::Receiver<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let _ = tx.try_send(());
        }
    });
    Ok(rx)
}

/// SIGTERM (Kubernetes starting a graceful shutdown) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!(message = "cannot install signal handlers; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
