//! The OpenAPI document states the BYOK rules as patterns (`api_types::byok`, and the provider
//! pattern served with the live catalog): each must accept exactly what the parsers here accept,
//! or a client (and the fuzzer) would be told a lie. Checked on the edges of every rule.

use api_types::byok::{KEY_PATTERN, MODEL_ENTRY_PATTERN, NAME_PATTERN};
use regex::{Regex, RegexBuilder};

use super::{check_key, check_list, check_name};

fn compile(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .size_limit(1 << 26)
        .build()
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// White space `trim` strips (and JSON Schema's `\s` partly does not), and characters it does not.
const AROUND: [&str; 8] = [
    "",
    " ",
    "\t\n",
    "\u{85}",
    "\u{a0}\u{3000}",
    "\u{2028}",
    "\u{feff}",
    "\u{1c}",
];

fn samples(core: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for c in core {
        for before in AROUND {
            for after in ["", " ", "\r\n", "\u{85}", "\u{1c}"] {
                out.push(format!("{before}{c}{after}"));
            }
        }
    }
    out
}

#[test]
fn key_pattern_is_check_key() {
    let re = compile(KEY_PATTERN);
    let mut core: Vec<String> = [
        "",
        "a",
        "abcdefg",
        "abcdefgh",
        "sk-proj abc",
        "abc\tdefgh",
        "abcdefg\u{e9}",
        "abcdefg\u{7f}",
    ]
    .map(String::from)
    .to_vec();
    core.extend(["x".repeat(4095), "x".repeat(4096), "x".repeat(4097)]);
    for s in samples(&core) {
        assert_eq!(re.is_match(&s), check_key(&s).is_ok(), "{s:?}");
    }
}

#[test]
fn name_pattern_is_check_name() {
    let re = compile(NAME_PATTERN);
    let mut core: Vec<String> = ["", "a", "a b", "a\u{0}b", "caf\u{e9}"]
        .map(String::from)
        .to_vec();
    core.extend([
        "n".repeat(255),
        "n".repeat(256),
        "\u{e9}".repeat(255),
        "\u{e9}".repeat(256),
    ]);
    for s in samples(&core) {
        assert_eq!(
            re.is_match(&s),
            check_name(Some(s.clone())).is_ok(),
            "{s:?}"
        );
    }
}

#[test]
fn model_entry_pattern_is_check_list() {
    let re = compile(MODEL_ENTRY_PATTERN);
    let mut core: Vec<String> = ["", "a", "openai/gpt-4o", "a b"].map(String::from).to_vec();
    core.extend([
        "m".repeat(256),
        "m".repeat(257),
        "\u{e9}".repeat(256),
        "\u{e9}".repeat(257),
    ]);
    for s in samples(&core) {
        let parsed = check_list("allowed_models", Some(vec![s.clone()]));
        assert_eq!(re.is_match(&s), parsed.is_ok(), "{s:?}");
    }
}

#[test]
fn provider_pattern_is_a_trimmed_catalog_slug() {
    let slugs = ["openai", "google-ai-studio"];
    let re = compile(&crate::api::openapi::provider_pattern(&slugs));
    let core: Vec<String> = [
        "openai",
        "google-ai-studio",
        "google",
        "openai2",
        "",
        "OpenAI",
    ]
    .map(String::from)
    .to_vec();
    for s in samples(&core) {
        assert_eq!(re.is_match(&s), slugs.contains(&s.trim()), "{s:?}");
    }
}
