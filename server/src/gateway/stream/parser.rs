//! Incremental SSE parser (WHATWG event-stream rules), fed arbitrary byte
//! slices. Lines end in `\n`, `\r\n` or `\r`; a blank line dispatches.

/// One dispatched event. `event` is `None` when no `event:` line was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// The last byte seen was `\r`: a following `\n` belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events completed by them.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if bytes.is_empty() {
            return out;
        }
        if self.after_cr && bytes[0] == b'\n' {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', bytes) {
            self.line.extend_from_slice(&bytes[..pos]);
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, &mut out);
            let mut next = pos + 1;
            if bytes[pos] == b'\r' {
                match bytes.get(next) {
                    Some(b'\n') => next += 1,
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            bytes = &bytes[next..];
        }
        self.line.extend_from_slice(bytes);
        out
    }

    /// End of input: a final event not followed by a blank line still counts
    /// (Gemini's blocked-prompt stream ends that way).
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut out = Vec::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, &mut out);
        }
        self.process_line(b"", &mut out);
        out.pop()
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event = None;
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return; // comment, e.g. keep-alives
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = Some(value.into_owned()),
            _ => {} // id, retry and unknown fields carry nothing we use
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut v = p.feed(input);
        v.extend(p.finish());
        v
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(Into::into),
            data: data.into(),
        }
    }

    #[test]
    fn line_endings_comments_multiline() {
        let input = b": keep-alive\n\nevent: a\ndata: 1\ndata:2\n\r\ndata: x\r\rdata: y\r\n\r\nid: 5\nretry: 9\n\n";
        assert_eq!(
            all(input),
            vec![ev(Some("a"), "1\n2"), ev(None, "x"), ev(None, "y")]
        );
    }

    #[test]
    fn every_split_gives_same_events() {
        let input = "event: e\r\ndata: {\"t\":\"é€\"}\r\n\r\n: c\n\ndata: [DONE]\n\n".as_bytes();
        let expected = all(input);
        assert_eq!(expected.len(), 2);
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let mut p = SseParser::new();
                let mut v = p.feed(&input[..i]);
                v.extend(p.feed(&input[i..j]));
                v.extend(p.feed(&input[j..]));
                v.extend(p.finish());
                assert_eq!(v, expected, "split at {i},{j}");
            }
        }
    }

    #[test]
    fn unterminated_final_event_is_flushed() {
        assert_eq!(all(b"data: last\r\n"), vec![ev(None, "last")]);
        assert_eq!(all(b"data: last"), vec![ev(None, "last")]);
        assert_eq!(all(b"event: only\n\n"), vec![]);
    }
}
