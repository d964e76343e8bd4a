//! Just enough YAML to read the `body:` scalars of go-vcr cassettes (no YAML
//! crate is a dependency): single-quoted flow scalars and `|+` block scalars.

/// Every `body:` value in file order.
pub fn bodies(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some(pos) = line.find("body: ") else {
            i += 1;
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let value = &line[pos + 6..];
        if value.starts_with("|") {
            // Block scalar: following lines indented deeper, kept verbatim.
            let mut body = String::new();
            let mut block_indent = None;
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                let ind = l.len() - l.trim_start().len();
                if !l.trim().is_empty() && ind <= indent {
                    break;
                }
                let bi = *block_indent.get_or_insert(ind);
                body.push_str(l.get(bi..).unwrap_or(""));
                body.push('\n');
                i += 1;
            }
            out.push(body);
        } else if let Some(rest) = value.strip_prefix('\'') {
            // Single-quoted: line breaks fold to spaces, '' is a quote.
            let mut raw = rest.to_string();
            while !closes_single_quote(&raw) {
                i += 1;
                raw.push(' ');
                raw.push_str(lines[i].trim_start());
            }
            raw.pop();
            out.push(raw.replace("''", "'"));
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Ends with an odd run of quotes (an unescaped closing quote).
fn closes_single_quote(s: &str) -> bool {
    let trailing = s.chars().rev().take_while(|c| *c == '\'').count();
    trailing % 2 == 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn scalars() {
        let y = "  - body: '{\"a\":\"it''s\n      folded\"}'\n    form: {}\n    body: |+\n      event: x\n      data: {}\n\n    headers: {}\n";
        let b = super::bodies(y);
        assert_eq!(b[0], "{\"a\":\"it's folded\"}");
        assert_eq!(b[1], "event: x\ndata: {}\n\n");
    }
}
