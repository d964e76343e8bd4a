//! Log output: `LOG` filters (env-filter syntax, default `info,sqlx=warn,sea_orm=warn`);
//! `LOG_FORMAT=json` writes one JSON object per line. Either way the request's span (its id)
//! and the upstream attempt's span are on every line the request logs.
//!
//! Those two spans exist whatever `LOG` lets through (see `app::serve` and
//! `gateway::relay`), and tracing-subscriber formats a span's fields when the span is made,
//! so their formatting is paid on every request even when no line is written. Plain text
//! therefore formats fields with [`PlainFields`] instead of `DefaultFields`.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Installs the global subscriber (once, at start).
pub fn init() {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else if std::io::stderr().is_terminal() {
        // Colours for a person at a terminal.
        logs.init();
    } else {
        // A log collector gets plain text. `DefaultFields` styles every field name and `=`
        // even with colours off (an empty style, still written through nu_ansi_term): under
        // callgrind that was three quarters of the two spans' cost, about 7,000 of the
        // request path's instructions, with colours off and no line written.
        logs.with_ansi(false).fmt_fields(PlainFields).init();
    }
}

/// `DefaultFields` without ANSI styling: the same text, byte for byte, as `DefaultFields`
/// writes with colours off (checked by the tests below): `name=value` separated by spaces,
/// the message first as is, strings quoted, a message's control characters escaped.
pub struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'writer> {
    writer: Writer<'writer>,
    empty: bool,
    result: fmt::Result,
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let Some(source) = value.source() else {
            return self.record_debug(field, &format_args!("{}", Escaped(value)));
        };
        let sources = Sources(source);
        let name = field.name();
        let shown = format_args!("{} {name}.sources={sources}", Escaped(value));
        self.record_debug(field, &shown);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // `log` records' metadata, which the line shows already (as `DefaultFields` does).
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        if !self.empty {
            self.result = self.writer.write_char(' ');
        }
        self.empty = false;
        self.result = self.result.and_then(|()| match name {
            // Escaped: a message may carry text from outside (terminal injection).
            "message" => write!(self.writer, "{:?}", Escaped(value)),
            name => {
                let name = name.strip_prefix("r#").unwrap_or(name);
                write!(self.writer, "{name}={value:?}")
            }
        });
    }
}

/// An error's sources, as `DefaultFields` lists them: `[a, b]`, each escaped.
struct Sources<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut next = Some(self.0);
        while let Some(source) = next {
            list.entry(&format_args!("{}", Escaped(source)));
            next = source.source();
        }
        list.finish()
    }
}

/// Writes a value with the control characters that could drive a terminal escaped, as
/// tracing-subscriber does for messages: ESC, BEL, BS, FF, DEL and the C1 range.
struct Escaped<T>(T);

impl<T: fmt::Debug> fmt::Debug for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{:?}", self.0)
    }
}

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let risky = |c: char| {
            matches!(
                c,
                '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
            )
        };
        // Most text has none: one scan, one write.
        if !s.contains(risky) {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            match c {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                '\u{80}'..='\u{9f}' => write!(self.0, "\\u{{{:x}}}", c as u32)?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::fmt::format::DefaultFields;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer \x1b[31mfailure")]
    struct Outer(#[source] Inner);
    #[derive(Debug, thiserror::Error)]
    #[error("inner cause\x07")]
    struct Inner;

    /// Lines that exercise every kind of field: spans with recorded fields, messages with
    /// and without control characters, strings, numbers, booleans, errors with sources,
    /// debug and display values, raw identifiers.
    fn log_everything() {
        let span = tracing::error_span!("request", id = %"req-1", method = "POST");
        let _request = span.enter();
        let attempt = tracing::error_span!(
            "upstream",
            provider = %"openai",
            attempt = 1u64,
            status = tracing::field::Empty,
        );
        attempt.record("status", 502u16);
        let _attempt = attempt.enter();
        tracing::warn!(
            count = 3i64,
            ok = true,
            ratio = 0.5f64,
            "upstream attempt failed"
        );
        tracing::error!(
            err = &Outer(Inner) as &(dyn std::error::Error + 'static),
            "boom"
        );
        tracing::error!(err = &Inner as &(dyn std::error::Error + 'static));
        tracing::info!(r#type = "chat", list = ?vec!["a", "b"], "a \x1b[2J message \u{9b} with {}", 42);
        tracing::info!(message = "a str message\x7f", other = "quoted \"text\"");
        tracing::info!(empty = "");
    }

    fn captured(plain: bool) -> String {
        let lines = Lines::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(lines.clone());
        if plain {
            let subscriber = builder.fmt_fields(PlainFields).finish();
            tracing::subscriber::with_default(subscriber, log_everything);
        } else {
            let subscriber = builder.fmt_fields(DefaultFields::new()).finish();
            tracing::subscriber::with_default(subscriber, log_everything);
        }
        String::from_utf8(lines.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn plain_fields_write_what_default_fields_write_without_colours() {
        let default = captured(false);
        let plain = captured(true);
        assert_eq!(plain, default);
        // And the cases are what they claim to be.
        assert_eq!(plain.lines().count(), 6, "{plain}");
        assert!(
            plain.contains("request{id=req-1 method=\"POST\"}"),
            "{plain}"
        );
        assert!(
            plain.contains("upstream{provider=openai attempt=1 status=502}"),
            "{plain}"
        );
        assert!(plain.contains("\\x1b[2J"), "{plain}");
        assert!(plain.contains("err.sources=[inner cause\\x07]"), "{plain}");
        assert!(!plain.contains('\x1b'), "{plain}");
    }
}
