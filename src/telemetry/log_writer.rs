//! Log lines gathered in memory and written in batches: one `write(2)` per batch instead of one
//! per line (the failing path logs a line per request).
//!
//! Lines are never dropped. A line waits at most `INTERVAL` (a flusher thread, woken by the
//! first line after each batch, writes what gathered meanwhile); a thread whose line fills the
//! buffer to `LIMIT` writes the batch itself, so a stuck stdout blocks the loggers as an
//! unbuffered one did, with `LIMIT` bytes of slack. `flush` writes everything now: `main` calls
//! it on every way out, and the panic hook after its line. Batches are written in the order
//! their lines were logged (one lock over taking a batch and writing it).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// How long the first line of a batch may wait. Short against a reader's timeouts, long
/// against the time between requests under load.
const INTERVAL: Duration = Duration::from_millis(10);
/// A batch this large is written at once by the thread that filled it.
const LIMIT: usize = 64 * 1024;

pub struct Batched<W: Write + Send + 'static> {
    pending: Mutex<Vec<u8>>,
    /// Signalled when `pending` stops being empty.
    woken: Condvar,
    /// The output and a spare buffer to swap with `pending`, so batches need no allocation.
    out: Mutex<(W, Vec<u8>)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain bytes behind: keep using them.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write + Send + 'static> Batched<W> {
    /// Writes to `out`, with a flusher thread. Fails only if the thread cannot be started.
    pub fn start(out: W) -> std::io::Result<Arc<Self>> {
        let this = Arc::new(Batched {
            pending: Mutex::new(Vec::with_capacity(LIMIT)),
            woken: Condvar::new(),
            out: Mutex::new((out, Vec::with_capacity(LIMIT))),
        });
        let flusher = this.clone();
        std::thread::Builder::new()
            .name("authlens-log".into())
            .spawn(move || flusher.run())?;
        Ok(this)
    }

    fn run(&self) {
        loop {
            {
                let mut pending = lock(&self.pending);
                while pending.is_empty() {
                    pending = self
                        .woken
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::thread::sleep(INTERVAL);
            self.flush();
        }
    }

    /// Adds one line (tracing-subscriber hands over a whole formatted line per call).
    pub fn push(&self, line: &[u8]) {
        let full = {
            let mut pending = lock(&self.pending);
            if pending.is_empty() {
                self.woken.notify_one();
            }
            pending.extend_from_slice(line);
            pending.len() >= LIMIT
        };
        if full {
            self.flush();
        }
    }

    /// Writes every line logged so far. An output error is dropped with the batch: there is
    /// nowhere left to report it (as with stdout written directly).
    pub fn flush(&self) {
        let mut out = lock(&self.out);
        let (writer, batch) = &mut *out;
        std::mem::swap(&mut *lock(&self.pending), batch);
        if !batch.is_empty() {
            let _ = writer.write_all(batch).and_then(|()| writer.flush());
            batch.clear();
        }
    }
}

/// `MakeWriter` for tracing-subscriber: each event's line goes into the batch.
pub struct BatchedWriter<W: Write + Send + 'static>(pub Arc<Batched<W>>);

impl<W: Write + Send + 'static> Write for &BatchedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + Send + 'static> tracing_subscriber::fmt::MakeWriter<'a> for BatchedWriter<W> {
    type Writer = &'a BatchedWriter<W>;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

/// The process's stdout batch; `None` inside if its thread could not start.
static STDOUT: OnceLock<Option<Arc<Batched<std::io::Stdout>>>> = OnceLock::new();

/// The stdout batch (started on first use), or `None` if its thread could not start.
pub fn stdout() -> Option<Arc<Batched<std::io::Stdout>>> {
    STDOUT
        .get_or_init(|| Batched::start(std::io::stdout()).ok())
        .clone()
}

/// Writes every stdout line logged so far (before exit, after a panic's line).
pub fn flush_stdout() {
    if let Some(Some(b)) = STDOUT.get() {
        b.flush();
    }
}

#[cfg(test)]
mod tests;
