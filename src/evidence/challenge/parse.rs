//! The RFC 7235 §4.1 / RFC 6750 §3 `WWW-Authenticate` grammar, read tolerantly and in bounded
//! work: one pass over at most `MAX_INPUT` bytes, at most `MAX_CHALLENGES` challenges of at most
//! `MAX_PARAMS` parameters, each value cut at `MAX_VALUE` bytes.
//!
//! Tolerance: several middlewares put raw exception text inside `error_description`, quotes and
//! all, so an unescaped `"` only closes a quoted string when the value can plausibly end there
//! (end of input or a comma follows).

/// Bytes of all header values read together; the rest is ignored.
pub const MAX_INPUT: usize = 8 * 1024;
pub const MAX_CHALLENGES: usize = 8;
pub const MAX_PARAMS: usize = 16;
/// Longest value kept; longer ones are truncated (scanning still consumes them).
pub const MAX_VALUE: usize = 1024;

/// One challenge: a scheme (lower-cased) and its parameters (names lower-cased).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// The RFC 7235 token68 form (`Basic abc==`), when used instead of parameters.
    pub token68: Option<String>,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses every challenge in the given header values (several headers are one list, RFC 9110
/// §5.3). Never fails: what cannot be read is skipped.
pub fn challenges<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Vec<Challenge> {
    let mut out = Vec::new();
    let mut budget = MAX_INPUT;
    for value in values {
        if budget == 0 || out.len() >= MAX_CHALLENGES {
            break;
        }
        let take = value.len().min(budget);
        budget -= take;
        Scanner {
            s: &value[..take],
            i: 0,
        }
        .run(&mut out);
    }
    out
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_VALUE)]).into_owned()
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn run_while(&mut self, f: fn(u8) -> bool) -> &[u8] {
        let start = self.i;
        while self.peek().is_some_and(f) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// Whether, after optional whitespace from `at`, the input ends or a comma follows.
    fn ends_item(&self, at: usize) -> bool {
        let rest = &self.s[at.min(self.s.len())..];
        match rest.iter().position(|b| !matches!(b, b' ' | b'\t')) {
            None => true,
            Some(p) => rest[p] == b',',
        }
    }

    /// Whether a `"` just before `at` plausibly closes the value: the input ends, a comma and
    /// then a token follow, or another `name=` follows (a missing comma). Raw text such as
    /// `unexpected "aud" value` or `got ["b", "c"]` does none of these.
    fn closes_quote(&self, at: usize) -> bool {
        let rest = &self.s[at..];
        let ws = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        match rest.get(ws) {
            None => true,
            Some(b',') => {
                let after = &rest[ws..];
                let gap = after
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t' | b','))
                    .count();
                after.get(gap).is_none_or(|b| is_tchar(*b))
            }
            Some(_) => {
                let name = rest[ws..].iter().take_while(|b| is_tchar(**b)).count();
                ws > 0 && name > 0 && rest.get(ws + name) == Some(&b'=')
            }
        }
    }

    fn run(&mut self, out: &mut Vec<Challenge>) {
        // Every iteration consumes at least one byte, so the loop is bounded by the input.
        while self.i < self.s.len() {
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
                continue;
            }
            let start = self.i;
            let name = self.run_while(is_tchar).to_ascii_lowercase();
            if name.is_empty() {
                self.i = start + 1; // not a token: skip the byte
                continue;
            }
            self.skip_ws();
            if self.peek() == Some(b'=') {
                self.i += 1;
                let value = self.value();
                if let Some(current) = out.last_mut()
                    && current.params.len() < MAX_PARAMS
                {
                    current.params.push((text(&name), value));
                }
                continue;
            }
            if out.len() >= MAX_CHALLENGES {
                return;
            }
            let token68 = self.token68();
            out.push(Challenge {
                scheme: text(&name),
                token68,
                params: Vec::new(),
            });
        }
    }

    /// A token68 right after a scheme: a run of token68 bytes, optional `=` padding, then the
    /// end of the item. Anything else is left for the parameter reader.
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        let body = self.run_while(is_token68).len();
        self.run_while(|b| b == b'=');
        if body > 0 && self.ends_item(self.i) {
            return Some(text(&self.s[start..self.i]));
        }
        self.i = start;
        None
    }

    fn value(&mut self) -> String {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return text(self.run_while(|b| !matches!(b, b',' | b' ' | b'\t')));
        }
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'\\' => {
                    if let Some(next) = self.peek() {
                        self.i += 1;
                        if out.len() < MAX_VALUE {
                            out.push(next);
                        }
                    }
                }
                b'"' if self.closes_quote(self.i) => break,
                _ if out.len() < MAX_VALUE => out.push(b),
                _ => {}
            }
        }
        text(&out)
    }
}

#[cfg(test)]
mod tests;
