//! The emulator's tokenizer: simple, deterministic, and the same for every provider, so a test
//! can predict the usage numbers.
//!
//! Rule: a token is a maximal run of alphanumeric characters, or any single character that is
//! neither alphanumeric nor whitespace. Whitespace is not a token; it is carried at the front of
//! the following piece (and trailing whitespace at the end of the last one), so the pieces of a
//! text concatenate back to the text. `"You said: Hello!"` is `You`, ` said`, `:`, ` Hello`, `!`:
//! 5 tokens.

use serde_json::Value;

/// Splits `text` into token pieces whose concatenation is `text`.
pub fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut piece_start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((_, c)) = iter.next() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_alphanumeric() {
            while iter.peek().is_some_and(|&(_, n)| n.is_alphanumeric()) {
                iter.next();
            }
        }
        let end = iter.peek().map_or(text.len(), |&(i, _)| i);
        out.push(&text[piece_start..end]);
        piece_start = end;
    }
    if piece_start < text.len() {
        match out.last_mut() {
            // Trailing whitespace belongs to the last piece, keeping the concatenation exact.
            Some(last) => {
                let start = text.len() - text[piece_start..].len() - last.len();
                *last = &text[start..];
            }
            None => out.push(text),
        }
    }
    out
}

/// Number of tokens in `text`.
pub fn count(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !in_word {
                n += 1;
                in_word = true;
            }
        } else {
            in_word = false;
            if !c.is_whitespace() {
                n += 1;
            }
        }
    }
    n
}

/// The first `max` tokens of `text` (with the whitespace before them); `None` keeps it all.
/// Returns the cut text and whether anything was cut.
pub fn truncate(text: &str, max: Option<usize>) -> (&str, bool) {
    let Some(max) = max else { return (text, false) };
    let pieces = pieces(text);
    if count(text) <= max {
        return (text, false);
    }
    let len: usize = pieces.iter().take(max).map(|p| p.len()).sum();
    (&text[..len], true)
}

/// Pads (by cycling its own tokens, space-separated) or cuts `text` to exactly `n` tokens.
pub fn resize(text: &str, n: usize) -> String {
    let base = pieces(text);
    let have = count(text);
    if have >= n {
        return truncate(text, Some(n)).0.trim_end().to_owned();
    }
    let words: Vec<&str> = base
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = text.trim_end().to_owned();
    for i in 0..(n - have) {
        out.push(' ');
        out.push_str(words.get(i % words.len().max(1)).copied().unwrap_or("ok"));
    }
    out
}

/// Tokens of a conversation: every string under a text-bearing key, every structured tool
/// input/argument as compact JSON, and 1 per non-text part (image, audio, file).
pub fn count_conversation(value: &Value) -> usize {
    match value {
        Value::String(s) => count(s),
        Value::Array(items) => items.iter().map(count_conversation).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| match (key.as_str(), v) {
                ("text" | "content" | "arguments" | "thinking", Value::String(s)) => count(s),
                ("input" | "args" | "response", Value::Object(_)) => count(&v.to_string()),
                (
                    "image_url" | "input_audio" | "file" | "inlineData" | "fileData" | "source",
                    _,
                ) => 1,
                (_, Value::Object(_) | Value::Array(_)) => count_conversation(v),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_concatenate_and_count() {
        for text in [
            "You said: Hello!",
            "  lead and trail  ",
            "",
            "   ",
            "I'm a-b",
            "héllo wörld.",
        ] {
            let p = pieces(text);
            assert_eq!(p.concat(), text, "{text:?}");
            assert_eq!(
                p.iter().filter(|p| !p.trim().is_empty()).count(),
                count(text),
                "{text:?}"
            );
        }
        assert_eq!(
            pieces("You said: Hello!"),
            vec!["You", " said", ":", " Hello", "!"]
        );
        assert_eq!(count("I'm"), 3);
    }

    #[test]
    fn truncate_and_resize() {
        assert_eq!(truncate("You said: Hello!", Some(2)), ("You said", true));
        assert_eq!(truncate("You said", Some(2)), ("You said", false));
        assert_eq!(resize("a b", 5), "a b a b a");
        assert_eq!(count(&resize("You said: hi", 9)), 9);
        assert_eq!(resize("one two three", 1), "one");
    }
}
