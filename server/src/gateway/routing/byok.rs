//! An organization's own provider keys (BYOK) in a plan: which of its keys apply to an
//! endpoint, and the order of attempts they make. Plain in-memory values, built by the
//! accounts layer from the decrypted rows (`accounts::byok`) and kept per organization by
//! the inference service; nothing here reads a database.
//!
//! The order, per model: the organization's prioritized keys (`is_fallback: false`) at each
//! of the model's endpoints in routing order, then the platform's endpoints, then its fallback
//! keys at each endpoint. A key with `always_use` removes the platform's endpoints of its
//! provider from that list whenever the key applies (it is enabled, allows the model and
//! the calling API key).

use std::collections::HashMap;
use std::sync::Arc;

use crate::gateway::relay::{ByokFee, ByokUse, Target, TargetSpec};

/// One decrypted, enabled BYOK key. Never printed whole.
pub struct ByokCredential {
    pub id: String,
    /// Catalog provider slug.
    pub provider: String,
    pub api_key: String,
    /// `...` and the key's last four characters.
    pub label: String,
    pub is_fallback: bool,
    pub always_use: bool,
    pub allowed_models: Option<Vec<String>>,
    pub allowed_api_key_hashes: Option<Vec<String>>,
}

impl std::fmt::Debug for ByokCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByokCredential")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl ByokCredential {
    /// Whether the key may serve `model_id` for the API key with hash `key_hash`.
    pub fn applies(&self, model_id: &str, key_hash: &str) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|m| m.iter().any(|m| m == model_id))
            && self
                .allowed_api_key_hashes
                .as_ref()
                .is_none_or(|h| h.iter().any(|h| h == key_hash))
    }
}

/// One organization's enabled keys by provider (each list in `sort_order`), and the fee rule
/// its BYOK requests are charged by.
pub struct OrgByok {
    by_provider: HashMap<String, Vec<ByokCredential>>,
    fee: Arc<dyn ByokFee>,
}

impl OrgByok {
    /// `credentials` in the order they are tried (per provider).
    pub fn new(credentials: Vec<ByokCredential>, fee: Arc<dyn ByokFee>) -> OrgByok {
        let mut by_provider: HashMap<String, Vec<ByokCredential>> = HashMap::new();
        for c in credentials {
            by_provider.entry(c.provider.clone()).or_default().push(c);
        }
        OrgByok { by_provider, fee }
    }

    pub fn has_provider(&self, provider: &str) -> bool {
        self.by_provider.contains_key(provider)
    }

    /// The keys that apply to `provider`'s endpoint of `model_id` for `key_hash`.
    pub fn applicable<'a>(
        &'a self,
        provider: &str,
        model_id: &'a str,
        key_hash: &'a str,
    ) -> impl Iterator<Item = &'a ByokCredential> + 'a {
        self.by_provider
            .get(provider)
            .into_iter()
            .flatten()
            .filter(move |c| c.applies(model_id, key_hash))
    }

    /// Whether an `always_use` key keeps the platform's endpoints of `provider` out.
    pub fn excludes_platform(&self, provider: &str, model_id: &str, key_hash: &str) -> bool {
        self.applicable(provider, model_id, key_hash)
            .any(|c| c.always_use)
    }

    /// `platform`'s endpoint, called with `credential` instead of the platform's key.
    pub fn target(&self, platform: &Target, credential: &ByokCredential) -> Target {
        let t = &platform.0;
        Target(Arc::new(TargetSpec {
            model_id: t.model_id.clone(),
            provider_slug: t.provider_slug.clone(),
            endpoint_tag: t.endpoint_tag.clone(),
            provider_name: t.provider_name.clone(),
            adapter: Arc::clone(&t.adapter),
            base_url: t.base_url.clone(),
            api_key: credential.api_key.clone(),
            upstream_model: t.upstream_model.clone(),
            quirks: Arc::clone(&t.quirks),
            pricing: t.pricing.clone(),
            max_output_tokens: t.max_output_tokens,
            context_length: t.context_length,
            is_byok: true,
            byok: Some(ByokUse {
                key_id: credential.id.clone(),
                label: credential.label.clone(),
                fee: Arc::clone(&self.fee),
            }),
        }))
    }
}

/// The BYOK part of a plan's context: the organization's keys and the calling API key.
#[derive(Clone, Copy)]
pub struct ByokContext<'a> {
    pub keys: &'a OrgByok,
    pub key_hash: &'a str,
}

/// One routable endpoint as the expansion sees it: its target (the platform's, or a
/// key-less one when the platform does not serve the provider) and its model's position.
pub(super) struct Slot<'a> {
    pub target: &'a Target,
    pub platform: bool,
    pub model_pos: usize,
}

/// The targets of `slots` (in routing order) with the organization's keys placed per model:
/// prioritized keys, then the platform's endpoints (unless an `always_use` key applies),
/// then fallback keys.
pub(super) fn expand(slots: &[Slot<'_>], ctx: ByokContext<'_>) -> Vec<Target> {
    let mut out = Vec::with_capacity(slots.len() * 2);
    let keys = ctx.keys;
    for group in slots.chunk_by(|a, b| a.model_pos == b.model_pos) {
        for fallback in [false, true] {
            if fallback {
                // Between the two passes: the platform's own endpoints.
                out.extend(
                    group
                        .iter()
                        .filter(|s| {
                            s.platform
                                && !keys.excludes_platform(
                                    &s.target.provider_slug,
                                    &s.target.model_id,
                                    ctx.key_hash,
                                )
                        })
                        .map(|s| s.target.clone()),
                );
            }
            for slot in group {
                let t = slot.target;
                out.extend(
                    keys.applicable(&t.provider_slug, &t.model_id, ctx.key_hash)
                        .filter(|c| c.is_fallback == fallback)
                        .map(|c| keys.target(t, c)),
                );
            }
        }
    }
    out
}
