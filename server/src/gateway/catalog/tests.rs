//! Loading, validation, lookups and live providers.

use super::*;
use crate::gateway::providers::ProviderRegistry;

const BASE: &str = r#"
[parameter_sets]
basic = ["temperature", "max_tokens"]

[[providers]]
slug = "acme"
name = "Acme"
protocol = "openai"
base_url = "https://api.acme.test/v1/"
quirks = "openai"
supported_parameters = ["@basic", "tools"]

[[providers]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://localhost:8000/v1"
requires_api_key = false
self_hosted = true

[[models]]
id = "acme/one"
name = "Acme: One"
created = 1700000000
context_length = 8192
supported_parameters = ["@basic", "tools", "top_k"]
pricing = { prompt = "0.15", completion = "0.60" }

[[models.endpoints]]
provider = "acme"
upstream_model = "one-v1"
"#;

fn base() -> CatalogSource {
    CatalogSource::from_toml(BASE).expect("base parses")
}

fn build_err(src: CatalogSource) -> String {
    Catalog::build(src)
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn shipped_catalog_loads_and_is_complete() {
    let cat = Catalog::load_default().unwrap_or_else(|e| panic!("default.toml: {e}"));
    assert!(cat.models().len() >= 30, "{} models", cat.models().len());
    let serving: Vec<_> = cat
        .providers()
        .iter()
        .filter(|p| cat.endpoints_served_by(&p.slug).next().is_some())
        .collect();
    assert!(
        serving.len() >= 8,
        "{} providers with endpoints",
        serving.len()
    );
    for author in [
        "openai",
        "anthropic",
        "google",
        "meta-llama",
        "mistralai",
        "deepseek",
        "qwen",
        "x-ai",
    ] {
        assert!(
            cat.models().iter().any(|m| m.author == author),
            "no model by {author}"
        );
    }
    for m in cat.models() {
        assert!(
            !cat.endpoints_of(&m.id).is_empty(),
            "{} has no endpoint",
            m.id
        );
        assert!(!m.description.is_empty(), "{} has no description", m.id);
        for e in cat.endpoints_of(&m.id) {
            // Only `:free` variants are free, and they are free throughout.
            let free = e.pricing.prompt.is_zero() && e.pricing.completion.is_zero();
            assert_eq!(free, m.id.ends_with(":free"), "{} on {}", m.id, e.tag);
            // Chat models take an output cap; embedding models have no output to cap.
            let generates_text = m.output_modalities.iter().any(|o| o == "text");
            assert!(
                !generates_text || e.supports("max_tokens"),
                "{} on {}",
                m.id,
                e.tag
            );
        }
    }
    for slug in ["vllm", "ollama"] {
        let p = cat.provider(slug).unwrap();
        assert!(p.self_hosted && !p.requires_api_key);
        assert_eq!(cat.endpoints_served_by(slug).count(), 0);
    }
    // Every openai-protocol provider names a quirks preset.
    for p in cat.providers() {
        assert_eq!(
            p.protocol == Protocol::OpenAi,
            p.quirks.is_some(),
            "{}",
            p.slug
        );
    }
}

#[test]
fn protocols_are_the_registry_names() {
    let registry = ProviderRegistry::default();
    for p in Protocol::ALL {
        assert!(registry.get(p.as_str()).is_some(), "{}", p.as_str());
        assert_eq!(Protocol::parse(p.as_str()), Some(p));
    }
    assert_eq!(registry.protocols().count(), Protocol::ALL.len());
    assert_eq!(Protocol::parse("cohere"), None);
}

#[test]
fn shipped_prices_and_names_are_exact() {
    let cat = Catalog::load_default().unwrap();
    let mini = cat.endpoints_of("openai/gpt-4o-mini")[0];
    assert_eq!(mini.pricing.prompt.nanos_per_million(), 150_000_000);
    assert_eq!(mini.pricing.completion.nanos_per_million(), 600_000_000);
    assert_eq!(
        mini.pricing.cache_read.unwrap().nanos_per_million(),
        75_000_000
    );
    let sonnet = cat.endpoints_of("anthropic/claude-sonnet-4.5")[0];
    assert_eq!(
        sonnet.pricing.cache_write.unwrap().nanos_per_million(),
        3_750_000_000
    );
    assert_eq!(sonnet.upstream_model, "claude-sonnet-4-5-20250929");

    let llama = cat.endpoints_of("meta-llama/llama-3.3-70b-instruct");
    let on = |slug: &str| *llama.iter().find(|e| e.provider == slug).unwrap();
    assert_eq!(on("groq").upstream_model, "llama-3.3-70b-versatile");
    assert_eq!(
        on("together").upstream_model,
        "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    );
    assert_eq!(on("together").quantization, Quantization::Fp8);
    // Hosts narrow the model's parameters to what they accept.
    assert!(on("together").supports("logit_bias"));
    assert!(!on("groq").supports("logit_bias"));
    assert!(!cat.endpoints_of("mistralai/mistral-nemo")[0].supports("seed"));

    let gemini = cat.provider("google-ai-studio").unwrap();
    assert_eq!(gemini.protocol, Protocol::Gemini);
    assert_eq!(gemini.api_key_env, "GEMINI_API_KEY");
    assert_eq!(gemini.base_url, "https://generativelanguage.googleapis.com");
    assert_eq!(
        cat.provider("anthropic").unwrap().base_url,
        "https://api.anthropic.com"
    );
}

#[test]
fn endpoints_inherit_from_model_and_provider() {
    let cat = Catalog::build(base()).unwrap();
    let e = cat.endpoints_of("acme/one")[0];
    assert_eq!(e.tag, "acme");
    assert_eq!(e.context_length, 8192);
    assert_eq!(e.pricing.prompt.nanos_per_million(), 150_000_000);
    assert_eq!(e.quantization, Quantization::Unknown);
    // Model ∩ provider: top_k is dropped, set order kept.
    assert_eq!(
        e.supported_parameters,
        ["temperature", "max_tokens", "tools"]
    );
    let p = cat.provider_of(e);
    assert_eq!(p.base_url, "https://api.acme.test/v1");
    assert_eq!(
        (p.api_key_env.as_str(), p.base_url_env.as_str()),
        ("ACME_API_KEY", "ACME_BASE_URL")
    );
    assert_eq!(cat.model_of(e).id, "acme/one");
}

#[test]
fn lookups_by_id_slug_and_variant() {
    let mut src = base();
    src.models[0].canonical_slug = Some("acme/one-2024-01-01".into());
    let mut extended = src.models[0].clone();
    extended.id = "acme/one:extended".into();
    extended.canonical_slug = None;
    src.models.push(extended);
    let cat = Catalog::build(src).unwrap();

    assert_eq!(
        cat.model("acme/one").unwrap().canonical_slug,
        "acme/one-2024-01-01"
    );
    assert_eq!(
        cat.model_by_canonical_slug("acme/one-2024-01-01")
            .unwrap()
            .id,
        "acme/one"
    );
    assert_eq!(cat.lookup("acme/one-2024-01-01").unwrap().id, "acme/one");
    // An id with ':' is a model of its own when the catalog has it...
    let (m, v) = cat.resolve("acme/one:extended").unwrap();
    assert_eq!((m.id.as_str(), v), ("acme/one:extended", None));
    // ...otherwise the suffix is a variant for routing.
    let (m, v) = cat.resolve("acme/one:nitro").unwrap();
    assert_eq!((m.id.as_str(), v), ("acme/one", Some("nitro")));
    assert!(cat.resolve("acme/one:").is_none());
    assert!(cat.resolve("acme/two:free").is_none());
    assert!(cat.endpoints_of("acme/two").is_empty());
    assert_eq!(cat.endpoints_of("acme/one-2024-01-01").len(), 1);
}

#[test]
fn live_providers_follow_the_environment() {
    let cat = Catalog::build(base()).unwrap();
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert!(cat.live_providers(env(&[])).is_empty());
    assert!(
        cat.live_providers(env(&[("ACME_API_KEY", "  ")]))
            .is_empty()
    );

    let live = cat.live_providers(env(&[
        ("ACME_API_KEY", "sk-secret"),
        ("ACME_BASE_URL", "https://proxy.test/v1/"),
    ]));
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].slug, "acme");
    assert_eq!(live[0].base_url, "https://proxy.test/v1");
    assert_eq!(live[0].api_key.as_deref(), Some("sk-secret"));
    assert!(!format!("{:?}", live[0]).contains("sk-secret"));

    // A keyless local server is live once the operator points at it.
    let live = cat.live_providers(env(&[("LOCAL_BASE_URL", "http://gpu-box:8000/v1")]));
    assert_eq!(live.len(), 1);
    assert_eq!(
        (live[0].slug.as_str(), live[0].api_key.as_deref()),
        ("local", None)
    );
    assert_eq!(live[0].base_url, "http://gpu-box:8000/v1");

    let shipped = Catalog::load_default().unwrap();
    let live = shipped.live_providers(env(&[("GEMINI_API_KEY", "k"), ("OPENAI_API_KEY", "k")]));
    let slugs: Vec<_> = live.iter().map(|l| l.slug.as_str()).collect();
    assert_eq!(slugs, ["openai", "google-ai-studio"]);
    assert_eq!(live[0].base_url, "https://api.openai.com/v1");
}

#[test]
fn overrides_merge_by_key_and_disabled_entries_vanish() {
    let mut src = base();
    let mut overlay = CatalogSource::default();
    let mut cheaper = src.models[0].clone();
    cheaper.pricing = Some(PricingSpec {
        prompt: "0.10".into(),
        completion: "0.40".into(),
        ..Default::default()
    });
    overlay.models.push(cheaper);
    src.merge(overlay);
    assert_eq!(src.models.len(), 1);
    let cat = Catalog::build(src.clone()).unwrap();
    assert_eq!(
        cat.endpoints_of("acme/one")[0]
            .pricing
            .prompt
            .nanos_per_million(),
        100_000_000
    );

    // Disabling the only provider removes the endpoint and the orphaned model.
    src.providers[0].enabled = false;
    let cat = Catalog::build(src.clone()).unwrap();
    assert!(cat.model("acme/one").is_none());
    assert!(cat.provider("acme").is_none());
    src.providers[0].enabled = true;
    src.models[0].endpoints[0].enabled = false;
    assert!(Catalog::build(src).unwrap().models().is_empty());
}

#[test]
fn broken_inputs_are_rejected_naming_the_entry() {
    let check = |mutate: &dyn Fn(&mut CatalogSource), want: &[&str]| {
        let mut src = base();
        mutate(&mut src);
        let msg = build_err(src);
        for w in want {
            assert!(msg.contains(w), "`{msg}` lacks `{w}`");
        }
    };
    check(
        &|s| s.models[0].endpoints[0].provider = "nope".into(),
        &["acme/one", "unknown provider `nope`"],
    );
    check(
        &|s| {
            let again = s.providers[0].clone();
            s.providers.push(again);
        },
        &["duplicate provider `acme`"],
    );
    check(
        &|s| {
            let again = s.models[0].clone();
            s.models.push(again);
        },
        &["duplicate model id `acme/one`"],
    );
    check(
        &|s| {
            let again = s.models[0].endpoints[0].clone();
            s.models[0].endpoints.push(again);
        },
        &["acme/one", "two endpoints tagged `acme`"],
    );
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().prompt = "0,15".into(),
        &[
            "model `acme/one` endpoint `acme`",
            "`prompt`",
            "\"0,15\"",
            "not a plain decimal",
        ],
    );
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().completion = "-1".into(),
        &["`completion`", "negative"],
    );
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().cache_read = Some("1e-3".into()),
        &["`cache_read`"],
    );
    check(
        &|s| s.providers[0].protocol = "grpc".into(),
        &["provider `acme`", "unknown protocol `grpc`"],
    );
    check(
        &|s| s.providers[0].quirks = Some("nope".into()),
        &["provider `acme`", "quirks preset `nope`"],
    );
    check(
        &|s| s.providers[0].base_url = "api.acme.test".into(),
        &["provider `acme`", "not an http(s) URL"],
    );
    check(
        &|s| s.providers[0].api_key_env = Some("acme key".into()),
        &["not an environment variable"],
    );
    check(&|s| s.models[0].pricing = None, &["acme/one", "no pricing"]);
    check(
        &|s| s.models[0].endpoints.clear(),
        &["model `acme/one` declares no endpoints"],
    );
    check(
        &|s| s.models[0].supported_parameters.push("temprature".into()),
        &["model `acme/one`", "unknown parameter `temprature`"],
    );
    check(
        &|s| s.models[0].supported_parameters.push("@nope".into()),
        &["unknown parameter set `@nope`"],
    );
    check(
        &|s| s.models[0].endpoints[0].quantization = Some("fp7".into()),
        &["endpoint `acme`", "unknown quantization `fp7`"],
    );
    check(
        &|s| s.models[0].id = "one".into(),
        &["not of the form author/name"],
    );
    check(
        &|s| s.models[0].input_modalities = vec!["smell".into()],
        &["unknown input modality `smell`"],
    );
    check(
        &|s| s.models[0].tokenizer = Some("gpt".into()),
        &["unknown tokenizer `gpt`"],
    );
    check(
        &|s| s.models[0].knowledge_cutoff = Some("2024-1-1".into()),
        &["not a YYYY-MM-DD date"],
    );
    check(
        &|s| {
            let mut other = s.models[0].clone();
            other.id = "acme/two".into();
            other.canonical_slug = Some("acme/one".into());
            s.models.push(other);
        },
        &["model `acme/two`", "canonical slug `acme/one`"],
    );
    // The rules the API document states as patterns: exact prices below their bounds, URLs
    // without spaces, and disabled entries checked like enabled ones.
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().prompt = " 0.15".into(),
        &["`prompt`", "not a plain decimal"],
    );
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().prompt = "1000000000".into(),
        &["`prompt`", "too large"],
    );
    check(
        &|s| s.models[0].pricing.as_mut().unwrap().request = Some("1000".into()),
        &["`request`", "too large"],
    );
    check(
        &|s| s.providers[0].base_url = " https://api.acme.test".into(),
        &["not an http(s) URL"],
    );
    check(
        &|s| s.providers[0].base_url = "https:///v1".into(),
        &["not an http(s) URL"],
    );
    check(
        &|s| {
            s.providers[0].enabled = false;
            s.providers[0].name = " ".into();
        },
        &["provider `acme`", "name is empty"],
    );
    check(
        &|s| {
            s.models[0].enabled = false;
            s.models[0].tokenizer = Some("gpt".into());
        },
        &["unknown tokenizer `gpt`"],
    );
}

#[test]
fn price_bounds_are_inclusive_of_the_largest_written_form() {
    let mut src = base();
    let pricing = src.models[0].pricing.as_mut().unwrap();
    pricing.prompt = "999999999.999999999".into();
    pricing.request = Some("999.999999999999999".into());
    assert!(Catalog::build(src).is_ok());
}

#[test]
fn toml_errors_are_reported() {
    let err = Catalog::from_toml("[[providers]]\nslug = \"x\"\nnmae = \"X\"\n").unwrap_err();
    assert!(matches!(err, CatalogError::Toml(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("nmae"), "{msg}");
    let typo = BASE.replace("context_length = 8192", "context_length = \"8192\"");
    assert!(matches!(
        Catalog::from_toml(&typo),
        Err(CatalogError::Toml(_))
    ));
}
