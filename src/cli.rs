//! The command line (CONTRACT §5).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "authlens",
    version,
    about = "Observability sidecar that names why OAuth-protected API calls fail",
    after_help = "Examples:\n  \
        authlens run --upstream http://127.0.0.1:3000\n  \
        authlens run --config config/xaa-resource.yaml --listen 0.0.0.0:8080\n  \
        authlens check-config config/minimal.yaml\n  \
        authlens demo\n  \
        authlens top --admin 127.0.0.1:9901\n  \
        authlens explain --config config/xaa-resource.yaml - < token.txt"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sidecar in front of the upstream API.
    #[command(after_help = "Flags override the file; with --upstream alone no file is needed.")]
    Run(RunArgs),
    /// A self-contained tour: a demo API and authorization server on loopback, authlens in
    /// front, and one request per common mistake with the cause authlens names for it.
    Demo {
        /// Where the demo's authlens listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where its /metrics, /failures.html and /failures are served.
        #[arg(long, default_value = "127.0.0.1:9901")]
        admin_listen: String,
        /// Exit after the tour instead of serving until Ctrl-C; the exit code says whether
        /// every verdict was the expected one.
        #[arg(long)]
        once: bool,
        /// Show authlens's own log lines on standard output instead of writing them to a file.
        #[arg(long)]
        logs: bool,
    },
    /// Decode a token and run every check against the config: each check's verdict, the cause
    /// authlens would give and its hint. The token is read from standard input when it is `-`
    /// or absent, which keeps it out of the shell history.
    #[command(
        after_help = "Exit status: 0 when every check ran and passed, 1 when one failed or could not run, 2 on usage errors."
    )]
    Explain {
        /// The sidecar's config, for the issuers, audiences and algorithms to check against.
        #[arg(long, env = "AUTHLENS_CONFIG")]
        config: Option<PathBuf>,
        /// A key set (JWKS) file or URL to check the signature with, instead of the issuer's.
        /// Without --config, only the token's shape, kind, algorithm, signature and time are
        /// checked.
        #[arg(long, value_name = "FILE|URL")]
        jwks: Option<String>,
        /// Print the explanation as one JSON object.
        #[arg(long)]
        json: bool,
        /// The token, or `-` for standard input.
        token: Option<String>,
    },
    /// A live terminal view of a running sidecar: its failures by rate over the last minute,
    /// with detail, route and hint, busiest first, read from the admin listener's /failures.
    Top {
        /// The sidecar's admin listener.
        #[arg(long, default_value = "127.0.0.1:9901")]
        admin: String,
        /// Print one frame without escape codes and exit (for scripts).
        #[arg(long)]
        once: bool,
        /// Seconds between refreshes.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
        interval: u64,
    },
    /// Validate a config file and print every problem with its line and column.
    CheckConfig {
        /// The YAML file to check.
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// YAML configuration file.
    #[arg(long, env = "AUTHLENS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address the proxy listens on, e.g. 0.0.0.0:8080.
    #[arg(long)]
    pub listen: Option<String>,
    /// The API behind authlens, e.g. http://127.0.0.1:3000.
    #[arg(long)]
    pub upstream: Option<String>,
    /// Address of the admin listener (/metrics, /healthz, /readyz).
    #[arg(long)]
    pub admin_listen: Option<String>,
    /// Runtime worker threads (0: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}
