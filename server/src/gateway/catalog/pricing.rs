//! An endpoint's prices and the cost of one generation.
//!
//! **Rounding rule.** The cost of a generation is computed once: every token
//! (or image, or request) count is multiplied by its [`Price`] (nano-dollars
//! per million units) and the products are summed exactly in `i128`; the sum
//! is then divided by 1,000,000 and rounded **half up** to whole nano-dollars.
//! Rounding happens once per generation, never per component, so splitting a
//! prompt into cached and uncached parts never moves the total by more than
//! the single final rounding.

use serde::Serialize;

use super::price::Price;
use crate::gateway::types::Usage;

/// All prices of one endpoint. Optional prices fall back as documented on
/// [`Pricing::cost`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pricing {
    /// Per prompt (input) token.
    pub prompt: Price,
    /// Per completion (output) token.
    pub completion: Price,
    /// Per prompt token read from the provider's cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<Price>,
    /// Per prompt token written to the provider's cache (Anthropic's default
    /// five-minute rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<Price>,
    /// Per reasoning token, where a provider prices them apart from output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Price>,
    /// Per input image.
    pub image: Price,
    /// Per request.
    pub request: Price,
}

/// The billable counts of one generation.
///
/// Conventions follow the canonical [`Usage`] (OpenAI's): `prompt_tokens`
/// *includes* the cached and cache-written tokens, `completion_tokens`
/// *includes* the reasoning tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerationUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    pub images: u64,
    pub requests: u64,
}

impl From<&Usage> for GenerationUsage {
    /// One request; images are counted by the caller, who saw the request.
    fn from(u: &Usage) -> Self {
        GenerationUsage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u.cached_tokens(),
            cache_write_tokens: u.cache_write_tokens(),
            reasoning_tokens: u.reasoning_tokens(),
            images: 0,
            requests: 1,
        }
    }
}

impl Pricing {
    /// Cost in nano-dollars (see the module's rounding rule).
    ///
    /// Cached tokens are charged at `cache_read`, written ones at
    /// `cache_write`, the rest of the prompt at `prompt`; a missing cache
    /// price means the prompt price. Reasoning tokens are charged at
    /// `reasoning` when set, else as completion tokens. Counts that exceed
    /// their total (more cached than prompt tokens) are clamped to it, so a
    /// confused upstream can never make a token cost twice or go negative.
    pub fn cost(&self, u: &GenerationUsage) -> i64 {
        let cached = u.cached_tokens.min(u.prompt_tokens);
        let written = u.cache_write_tokens.min(u.prompt_tokens - cached);
        let fresh = u.prompt_tokens - cached - written;
        let (reasoning, output) = match self.reasoning {
            Some(_) => {
                let r = u.reasoning_tokens.min(u.completion_tokens);
                (r, u.completion_tokens - r)
            }
            None => (0, u.completion_tokens),
        };
        let terms = [
            (fresh, self.prompt),
            (cached, self.cache_read.unwrap_or(self.prompt)),
            (written, self.cache_write.unwrap_or(self.prompt)),
            (output, self.completion),
            (reasoning, self.reasoning.unwrap_or(self.completion)),
            (u.images, self.image),
            (u.requests, self.request),
        ];
        round_per_million(&terms)
    }

    /// The most a request can cost before its usage is known: every prompt
    /// token at the dearer of the prompt and cache-write prices, every
    /// output token at the dearer of the completion and reasoning prices.
    /// Used to reserve credit up front.
    pub fn worst_case_cost(&self, prompt_tokens: u64, max_output_tokens: u64, images: u64) -> i64 {
        let input = self.prompt.max(self.cache_write.unwrap_or(Price::ZERO));
        let output = self.completion.max(self.reasoning.unwrap_or(Price::ZERO));
        round_per_million(&[
            (prompt_tokens, input),
            (max_output_tokens, output),
            (images, self.image),
            (1, self.request),
        ])
    }

    pub fn is_free(&self) -> bool {
        [self.prompt, self.completion, self.image, self.request]
            .iter()
            .chain(self.cache_read.iter())
            .chain(self.cache_write.iter())
            .chain(self.reasoning.iter())
            .all(|p| p.is_zero())
    }
}

/// Σ count × price, exact in `i128`, then ÷ 1e6 rounded half up; saturates
/// at `i64::MAX` instead of wrapping (a cost that large is a bug upstream).
fn round_per_million(terms: &[(u64, Price)]) -> i64 {
    let sum = terms.iter().fold(0_i128, |acc, &(count, price)| {
        acc.saturating_add((count as i128).saturating_mul(price.nanos_per_million() as i128))
    });
    // Prices are never negative, so "half up" is simply + 500,000 then floor.
    let nanos = sum.saturating_add(500_000) / 1_000_000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::types::{CompletionTokensDetails, PromptTokensDetails};

    fn per_m(s: &str) -> Price {
        Price::parse_usd_per_million(s).unwrap()
    }

    fn gpt4o_mini() -> Pricing {
        Pricing {
            prompt: per_m("0.15"),
            completion: per_m("0.60"),
            cache_read: Some(per_m("0.075")),
            ..Pricing::default()
        }
    }

    #[test]
    fn plain_token_cost() {
        let u = GenerationUsage {
            prompt_tokens: 1_000,
            completion_tokens: 500,
            ..Default::default()
        };
        // 1000 × 0.15e-6 + 500 × 0.60e-6 USD = 0.00045 USD = 450,000 nanos.
        assert_eq!(gpt4o_mini().cost(&u), 450_000);
    }

    #[test]
    fn rounds_half_up_once_per_generation() {
        let prompt_cost = |price: &str, tokens| {
            let p = Pricing {
                prompt: per_m(price),
                ..Pricing::default()
            };
            p.cost(&GenerationUsage {
                prompt_tokens: tokens,
                ..Default::default()
            })
        };
        // 0.0004 USD/M = 0.4 nanos per token.
        assert_eq!(prompt_cost("0.0004", 1), 0);
        assert_eq!(prompt_cost("0.0004", 2), 1); // 0.8
        // Exactly half rounds up: 0.5 → 1, 1.5 → 2, 2.5 → 3.
        assert_eq!(prompt_cost("0.0005", 1), 1);
        assert_eq!(prompt_cost("0.0005", 3), 2);
        assert_eq!(prompt_cost("0.0005", 5), 3);
        // Whole amounts are untouched: 0.15 USD/M × 1 token = 150 nanos.
        assert_eq!(prompt_cost("0.15", 1), 150);
        // Rounded once: one fresh and one cached token are 0.3 nanos each,
        // which would round to 0 apiece; their exact sum 0.6 rounds to 1.
        let split = Pricing {
            prompt: per_m("0.0003"),
            cache_read: Some(per_m("0.0003")),
            ..Pricing::default()
        };
        let u = GenerationUsage {
            prompt_tokens: 2,
            cached_tokens: 1,
            ..Default::default()
        };
        assert_eq!(split.cost(&u), 1);
    }

    #[test]
    fn cache_and_reasoning_prices_apply_to_their_share() {
        let p = Pricing {
            prompt: per_m("3"),
            completion: per_m("15"),
            cache_read: Some(per_m("0.30")),
            cache_write: Some(per_m("3.75")),
            reasoning: Some(per_m("20")),
            image: Price::parse_usd_per_unit("0.001").unwrap(),
            request: Price::parse_usd_per_unit("0.0001").unwrap(),
        };
        let u = GenerationUsage {
            prompt_tokens: 10_000,
            cached_tokens: 6_000,
            cache_write_tokens: 1_000,
            completion_tokens: 2_000,
            reasoning_tokens: 500,
            images: 2,
            requests: 1,
        };
        // Tokens: 3000×3 + 6000×0.30 + 1000×3.75 + 1500×15 + 500×20 =
        // 47,050 µUSD = 47,050,000 nanos; 2 images at 0.001 USD; one
        // request at 0.0001 USD.
        assert_eq!(p.cost(&u), 47_050_000 + 2_000_000 + 100_000);
    }

    #[test]
    fn missing_cache_price_falls_back_to_prompt_and_counts_are_clamped() {
        let p = Pricing {
            prompt: per_m("1"),
            completion: per_m("2"),
            ..Pricing::default()
        };
        let u = GenerationUsage {
            prompt_tokens: 100,
            cached_tokens: 150,
            cache_write_tokens: 50,
            completion_tokens: 10,
            reasoning_tokens: 99,
            ..Default::default()
        };
        assert_eq!(p.cost(&u), 100 * 1_000 + 10 * 2_000);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let p = Pricing {
            prompt: per_m("75"),
            completion: per_m("600"),
            ..Pricing::default()
        };
        // 10^12 tokens × 600 USD/M = 600 million USD: fits in i64 nanos.
        let u = GenerationUsage {
            prompt_tokens: 1_000_000_000_000,
            completion_tokens: 1_000_000_000_000,
            ..Default::default()
        };
        assert_eq!(p.cost(&u), 675_000_000 * 1_000_000_000);
        // Absurd counts saturate rather than wrap.
        let u = GenerationUsage {
            prompt_tokens: u64::MAX,
            completion_tokens: u64::MAX,
            ..Default::default()
        };
        assert_eq!(p.cost(&u), i64::MAX);
    }

    #[test]
    fn from_canonical_usage() {
        let usage = Usage {
            prompt_tokens: 1_000,
            completion_tokens: 200,
            total_tokens: 1_200,
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: 800,
                cache_write_tokens: Some(100),
                audio_tokens: None,
            }),
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens: 50,
                ..Default::default()
            }),
            ..Default::default()
        };
        let g = GenerationUsage::from(&usage);
        assert_eq!((g.cached_tokens, g.cache_write_tokens), (800, 100));
        assert_eq!((g.reasoning_tokens, g.requests), (50, 1));
        // 100 fresh × 0.15 + 800 × 0.075 + 100 × 0.15 + 200 × 0.60 = 210 µUSD.
        assert_eq!(gpt4o_mini().cost(&g), 210_000);
    }

    #[test]
    fn worst_case_covers_every_outcome() {
        let p = Pricing {
            prompt: per_m("3"),
            completion: per_m("15"),
            cache_read: Some(per_m("0.30")),
            cache_write: Some(per_m("3.75")),
            ..Pricing::default()
        };
        assert_eq!(p.worst_case_cost(1_000, 100, 0), 3_750_000 + 1_500_000);
        assert!(!p.is_free());
        assert!(Pricing::default().is_free());
    }
}
