//! The failing path's extra cost: one JSON log line per failing request, formatted by
//! tracing-subscriber as `logging::init` sets it up, and written either with one `write(2)` per
//! line (as before) or through `telemetry::log_writer`'s batch. Each iteration logs 64 lines of
//! an expired-token failure's shape; the batched variant then writes its batch on the measuring
//! thread, so both sides count every byte's formatting and writing. Divide by 64 for a line.
//! Run with `cargo bench --bench log_line`.

use authlens::telemetry::log_writer::{Batched, BatchedWriter};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;

const LINES: usize = 64;

/// The fields of an `expired_token` line (telemetry::events::Exchange::log_failure).
fn failure_line(i: usize) {
    tracing::warn!(
        route = "api",
        http.request.method = "GET",
        url.path = "/files/1",
        http.response.status_code = 401u16,
        client.address = "127.0.0.1",
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id = "00f067aa0ba902b7",
        request_id = "0af7651916cd43dd8448eb211c80319c",
        message = "exchange failed",
        cause = "token_expired",
        category = "authn",
        detail = "none",
        hint = "the token expired 3600 s ago (exp 1800000000); the client must get a new one before it expires",
        confidence = "high",
        token.fingerprint = "4a1b2c3d4e5f6071",
        token.alg = "RS256",
        token.kid = "k1",
        token.typ = "at+jwt",
        token.iss = "https://auth.example.com/",
        token.aud = "https://api.example.com/",
        token.scope = "files.read files.write",
        token.exp = 1_800_000_000i64,
        token.iat = 1_799_996_400i64,
        token.client_id = "client-1",
        upstream.www_authenticate = "Bearer error=\"invalid_token\"",
        token.jti = "j1",
        n = i,
    );
}

fn subscriber<W>(writer: W) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Dispatch::new(
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_writer(writer)
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .finish(),
    )
}

/// Where the lines go: /dev/null, a file (as in scripts/bench.sh), or a pipe a reader thread
/// drains (as a log collector does).
fn output(kind: &str) -> std::fs::File {
    match kind {
        "devnull" => std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null"),
        "file" => tempfile::tempfile().expect("temporary file"),
        _ => {
            let (mut reader, writer) = std::io::pipe().expect("pipe");
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                while std::io::Read::read(&mut reader, &mut buf).is_ok_and(|n| n > 0) {}
            });
            std::fs::File::from(std::os::fd::OwnedFd::from(writer))
        }
    }
}

/// Before: every line its own `write(2)` (tracing-subscriber on a locked handle).
#[divan::bench(args = ["devnull", "file", "pipe"])]
fn line_per_write(bencher: divan::Bencher<'_, '_>, to: &str) {
    let out = Arc::new(Mutex::new(output(to)));
    let dispatch = subscriber(move || LockedFile(out.clone()));
    bencher.bench(|| {
        tracing::dispatcher::with_default(&dispatch, || (0..LINES).for_each(failure_line))
    });
}

/// After: lines gathered by `log_writer::Batched`, one write for the 64.
#[divan::bench(args = ["devnull", "file", "pipe"])]
fn batched(bencher: divan::Bencher<'_, '_>, to: &str) {
    let batch = Batched::start(output(to)).expect("flusher thread");
    let dispatch = subscriber(BatchedWriter(batch.clone()));
    bencher.bench(|| {
        tracing::dispatcher::with_default(&dispatch, || (0..LINES).for_each(failure_line));
        batch.flush();
    });
}

struct LockedFile(Arc<Mutex<std::fs::File>>);

impl Write for LockedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_or(Ok(0), |mut f| f.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    divan::main();
}
