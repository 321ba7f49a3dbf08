use super::*;
use std::time::Instant;

/// An output the test can read while the batch writes to it.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(lock(&self.0).clone()).expect("utf-8")
    }

    /// Waits (bounded) until the output is `want`.
    fn wait_for(&self, want: &str) {
        let started = Instant::now();
        while self.text() != want {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{:?}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[test]
fn a_line_reaches_the_output_without_a_flush() {
    let sink = Sink::default();
    let batched = Batched::start(sink.clone()).expect("thread");
    batched.push(b"one\n");
    batched.push(b"two\n");
    sink.wait_for("one\ntwo\n");
    // And again after the flusher went back to waiting.
    std::thread::sleep(INTERVAL * 3);
    batched.push(b"three\n");
    sink.wait_for("one\ntwo\nthree\n");
}

#[test]
fn flush_writes_everything_at_once_and_a_full_batch_is_written_by_its_logger() {
    let sink = Sink::default();
    let batched = Batched::start(sink.clone()).expect("thread");
    batched.push(b"now\n");
    batched.flush();
    assert_eq!(sink.text(), "now\n");
    let line = [b'x'; 1023]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    for _ in 0..LIMIT / line.len() {
        batched.push(&line);
    }
    // The push that reached LIMIT wrote the batch before returning.
    assert_eq!(sink.text().len(), 4 + LIMIT);
}

#[test]
fn lines_from_many_threads_are_all_written_each_in_its_order() {
    let sink = Sink::default();
    let batched = Batched::start(sink.clone()).expect("thread");
    std::thread::scope(|s| {
        for t in 0..4 {
            let b = &batched;
            s.spawn(move || {
                for i in 0..5000 {
                    b.push(format!("{t} {i}\n").as_bytes());
                }
            });
        }
    });
    batched.flush();
    let text = sink.text();
    let mut next = [0; 4];
    for line in text.lines() {
        let (t, i) = line.split_once(' ').expect("two fields");
        let t: usize = t.parse().expect("thread");
        assert_eq!(i.parse::<usize>().expect("index"), next[t], "{line}");
        next[t] += 1;
    }
    assert_eq!(next, [5000; 4]);
}
