//! Reading a config file, applying command-line overrides, and reporting problems with places.

use super::model::{Config, Located, Upstream};
use super::problem::{ConfigError, Problem};
use super::validate::{Settings, build};
use serde_saphyr::{Location, Spanned};
use std::path::Path;

/// Values given on the command line; each replaces the file's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub upstream: Option<String>,
    pub workers: Option<usize>,
}

pub fn load_file(path: &Path, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&text, overrides)
}

/// Parses and validates a whole file. An empty text is the all-defaults configuration.
pub fn load_str(text: &str, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let mut config: Config = if text.trim().is_empty() {
        serde_saphyr::from_str("{}")
    } else {
        serde_saphyr::from_str(text)
    }
    .map_err(|e| ConfigError::Invalid(vec![parse_problem(text, &e)]))?;
    apply(&mut config, overrides);
    build(&config).map_err(ConfigError::Invalid)
}

fn parse_problem(text: &str, e: &serde_saphyr::Error) -> Problem {
    let loc = e.location().unwrap_or(Location::UNKNOWN);
    // The crate's message repeats the place and adds a snippet; keep its first line only.
    let message = e.to_string();
    let message = message.lines().next().unwrap_or("invalid YAML").to_string();
    let key = key_at(text, loc.line() as usize).unwrap_or_else(|| "(file)".into());
    Problem::at_location(key, loc, message)
}

/// The dotted key written on `line` (1-based), e.g. `routes[1].path`, read from the indentation
/// of the lines above it, so a value refused while parsing is named like a validation problem.
/// Block-style YAML only; anything else yields `None`.
fn key_at(text: &str, line: usize) -> Option<String> {
    struct Entry {
        indent: usize,
        name: String,
        item: bool,
        items: usize,
    }
    let mut stack: Vec<Entry> = Vec::new();
    for (n, raw) in text.lines().enumerate().take(line) {
        let mut indent = raw.len() - raw.trim_start_matches(' ').len();
        let mut rest = raw.trim();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        while let Some(after_dash) = rest.strip_prefix("- ") {
            while stack
                .last()
                .is_some_and(|t| t.indent > indent || (t.item && t.indent >= indent))
            {
                stack.pop();
            }
            let owner = stack.last_mut()?;
            owner.items += 1;
            let name = format!("[{}]", owner.items - 1);
            stack.push(Entry {
                indent,
                name,
                item: true,
                items: 0,
            });
            let dash_width = rest.len() - after_dash.trim_start().len();
            indent += dash_width;
            rest = after_dash.trim_start();
        }
        while stack
            .last()
            .is_some_and(|t| !t.item && t.indent >= indent || t.item && t.indent > indent)
        {
            stack.pop();
        }
        if let Some((key, _)) = rest.split_once(':') {
            let key = key.trim().trim_matches(['"', '\'']);
            stack.push(Entry {
                indent,
                name: key.to_string(),
                item: false,
                items: 0,
            });
        }
        if n + 1 == line {
            let mut path = String::new();
            for e in &stack {
                if !e.item && !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&e.name);
            }
            return (!path.is_empty()).then_some(path);
        }
    }
    None
}

fn flag<T>(value: T) -> Located<T> {
    Spanned {
        value,
        referenced: Location::UNKNOWN,
        defined: Location::UNKNOWN,
    }
}

fn apply(config: &mut Config, o: &Overrides) {
    if let Some(listen) = &o.listen {
        config.listen = flag(listen.clone());
    }
    if let Some(admin) = &o.admin_listen {
        config.admin_listen = flag(admin.clone());
    }
    if let Some(workers) = o.workers {
        config.workers = workers;
    }
    if let Some(url) = &o.upstream {
        match &mut config.upstream {
            Some(up) => up.url = flag(url.clone()),
            None => config.upstream = Some(Upstream::new(flag(url.clone()))),
        }
    }
}
