//! Protocol name -> adapter, so the HTTP layer never branches on provider.

use std::collections::HashMap;
use std::sync::Arc;

use super::ProviderAdapter;
use super::anthropic::Anthropic;
use super::gemini::Gemini;
use super::openai_compat::OpenAiCompat;

#[derive(Clone)]
pub struct ProviderRegistry {
    adapters: HashMap<&'static str, Arc<dyn ProviderAdapter>>,
}

impl Default for ProviderRegistry {
    /// All built-in protocols.
    fn default() -> Self {
        let mut r = ProviderRegistry::empty();
        r.register(Arc::new(OpenAiCompat));
        r.register(Arc::new(Anthropic));
        r.register(Arc::new(Gemini));
        r
    }
}

impl ProviderRegistry {
    pub fn empty() -> Self {
        ProviderRegistry {
            adapters: HashMap::new(),
        }
    }

    pub fn register(&mut self, adapter: Arc<dyn ProviderAdapter>) {
        self.adapters.insert(adapter.protocol(), adapter);
    }

    pub fn get(&self, protocol: &str) -> Option<&Arc<dyn ProviderAdapter>> {
        self.adapters.get(protocol)
    }

    pub fn protocols(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.adapters.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_registered_under_their_names() {
        let r = ProviderRegistry::default();
        for p in ["openai", "anthropic", "gemini"] {
            assert_eq!(r.get(p).map(|a| a.protocol()), Some(p));
        }
        assert!(r.get("cohere").is_none());
        assert_eq!(r.protocols().count(), 3);
    }
}
