//! An endpoint's prices and the cost of one generation, by the cost rounding rule in
//! `billing`'s module documentation: counts × prices summed exactly, rounded once.

use serde::Serialize;

use super::money::Nanos;
use super::price::Price;

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
/// Conventions follow the canonical usage (OpenAI's): `prompt_tokens`
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

/// The cost of one generation and its two parts, as OpenRouter reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CostBreakdown {
    pub total: Nanos,
    /// What the generation would cost without its output: prompt, cache, image and
    /// request charges, rounded on their own.
    pub prompt: Nanos,
    /// `total - prompt`, so the parts always add up to the total.
    pub completion: Nanos,
}

/// Σ count × price before rounding, in nano-dollars × 1e6: exact in `i128`, saturating
/// instead of wrapping (a cost that large is a bug upstream).
#[derive(Clone, Copy, Default)]
struct Exact(i128);

impl Exact {
    fn of(terms: &[(u64, Price)]) -> Exact {
        terms.iter().fold(Exact(0), |acc, &(count, price)| {
            acc.plus(Exact(
                (count as i128).saturating_mul(price.nanos_per_million() as i128),
            ))
        })
    }

    fn plus(self, other: Exact) -> Exact {
        Exact(self.0.saturating_add(other.0))
    }

    /// ÷ 1e6 rounded half up to whole nano-dollars; saturates at [`Nanos::MAX`].
    fn round(self) -> Nanos {
        // Prices are never negative, so "half up" is simply + 500,000 then floor.
        let nanos = self.0.saturating_add(500_000) / 1_000_000;
        i64::try_from(nanos).map_or(Nanos::MAX, Nanos::from_nanos)
    }
}

impl Pricing {
    /// Cost in nano-dollars (see `billing`'s cost rounding rule).
    ///
    /// Cached tokens are charged at `cache_read`, written ones at
    /// `cache_write`, the rest of the prompt at `prompt`; a missing cache
    /// price means the prompt price. Reasoning tokens are charged at
    /// `reasoning` when set, else as completion tokens. Counts that exceed
    /// their total (more cached than prompt tokens) are clamped to it, so a
    /// confused upstream can never make a token cost twice or go negative.
    pub fn cost(&self, u: &GenerationUsage) -> Nanos {
        let (prompt, completion) = self.exact_parts(u);
        prompt.plus(completion).round()
    }

    /// [`Pricing::cost`] with its prompt and completion parts, computed in one pass.
    pub fn cost_breakdown(&self, u: &GenerationUsage) -> CostBreakdown {
        let (prompt, completion) = self.exact_parts(u);
        let total = prompt.plus(completion).round();
        let prompt = prompt.round();
        CostBreakdown {
            total,
            prompt,
            // Rounding is monotone and both sums are non-negative, so this never clamps.
            completion: total.saturating_sub(prompt).max(Nanos::ZERO),
        }
    }

    /// The unrounded prompt-side (prompt, cache, image, request) and output-side sums.
    fn exact_parts(&self, u: &GenerationUsage) -> (Exact, Exact) {
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
        let prompt = Exact::of(&[
            (fresh, self.prompt),
            (cached, self.cache_read.unwrap_or(self.prompt)),
            (written, self.cache_write.unwrap_or(self.prompt)),
            (u.images, self.image),
            (u.requests, self.request),
        ]);
        let completion = Exact::of(&[
            (output, self.completion),
            (reasoning, self.reasoning.unwrap_or(self.completion)),
        ]);
        (prompt, completion)
    }

    /// The most a request can cost before its usage is known: every prompt
    /// token at the dearer of the prompt and cache-write prices, every
    /// output token at the dearer of the completion and reasoning prices.
    /// Used to reserve credit up front.
    pub fn worst_case_cost(
        &self,
        prompt_tokens: u64,
        max_output_tokens: u64,
        images: u64,
    ) -> Nanos {
        let input = self.prompt.max(self.cache_write.unwrap_or(Price::ZERO));
        let output = self.completion.max(self.reasoning.unwrap_or(Price::ZERO));
        Exact::of(&[
            (prompt_tokens, input),
            (max_output_tokens, output),
            (images, self.image),
            (1, self.request),
        ])
        .round()
    }

    pub fn is_free(&self) -> bool {
        [self.prompt, self.completion, self.image, self.request]
            .iter()
            .chain(self.cache_read.iter())
            .chain(self.cache_write.iter())
            .chain(self.reasoning.iter())
            .all(|p| p.is_zero())
    }

    /// Prompt plus completion price per million tokens: the key that orders endpoints by
    /// price (saturating; a ranking, never a charge).
    pub fn list_price(&self) -> Price {
        self.prompt.saturating_add(self.completion)
    }
}

/// Prices and counts the tests of billing and of its callers share.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn per_m(s: &str) -> Price {
        Price::parse_usd_per_million(s).unwrap()
    }

    /// Token prices only, in USD per million.
    pub fn token_prices(prompt: &str, completion: &str) -> Pricing {
        Pricing {
            prompt: per_m(prompt),
            completion: per_m(completion),
            ..Pricing::default()
        }
    }

    /// Anthropic-like: cache reads and writes priced apart.
    pub fn sonnet() -> Pricing {
        Pricing {
            cache_read: Some(per_m("0.30")),
            cache_write: Some(per_m("3.75")),
            ..token_prices("3", "15")
        }
    }

    pub fn gpt4o_mini() -> Pricing {
        Pricing {
            cache_read: Some(per_m("0.075")),
            ..token_prices("0.15", "0.60")
        }
    }

    /// Plain prompt and completion tokens, no cache, reasoning, images or request.
    pub fn tokens(prompt_tokens: u64, completion_tokens: u64) -> GenerationUsage {
        GenerationUsage {
            prompt_tokens,
            completion_tokens,
            ..GenerationUsage::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn plain_token_cost() {
        let u = tokens(1_000, 500);
        // 1000 × 0.15e-6 + 500 × 0.60e-6 USD = 0.00045 USD = 450,000 nanos.
        assert_eq!(gpt4o_mini().cost(&u).as_nanos(), 450_000);
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
            .as_nanos()
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
        assert_eq!(split.cost(&u).as_nanos(), 1);
    }

    #[test]
    fn cache_and_reasoning_prices_apply_to_their_share() {
        let p = Pricing {
            reasoning: Some(per_m("20")),
            image: Price::parse_usd_per_unit("0.001").unwrap(),
            request: Price::parse_usd_per_unit("0.0001").unwrap(),
            ..sonnet()
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
        assert_eq!(p.cost(&u).as_nanos(), 47_050_000 + 2_000_000 + 100_000);
    }

    #[test]
    fn missing_cache_price_falls_back_to_prompt_and_counts_are_clamped() {
        let p = token_prices("1", "2");
        let u = GenerationUsage {
            prompt_tokens: 100,
            cached_tokens: 150,
            cache_write_tokens: 50,
            completion_tokens: 10,
            reasoning_tokens: 99,
            ..Default::default()
        };
        assert_eq!(p.cost(&u).as_nanos(), 100 * 1_000 + 10 * 2_000);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let p = token_prices("75", "600");
        // 10^12 tokens × 600 USD/M = 600 million USD: fits in i64 nanos.
        let u = tokens(1_000_000_000_000, 1_000_000_000_000);
        assert_eq!(p.cost(&u).as_nanos(), 675_000_000 * 1_000_000_000);
        // Absurd counts saturate rather than wrap.
        let u = tokens(u64::MAX, u64::MAX);
        assert_eq!(p.cost(&u).as_nanos(), i64::MAX);
    }

    #[test]
    fn worst_case_covers_every_outcome() {
        let p = sonnet();
        assert_eq!(
            p.worst_case_cost(1_000, 100, 0).as_nanos(),
            3_750_000 + 1_500_000
        );
        assert!(!p.is_free());
        assert!(Pricing::default().is_free());
    }

    #[test]
    fn breakdown_parts_add_up_to_the_total() {
        let p = Pricing {
            prompt: per_m("0.0003"),
            completion: per_m("0.0003"),
            request: Price::parse_usd_per_unit("0.0000000002").unwrap(),
            ..Pricing::default()
        };
        let u = GenerationUsage {
            prompt_tokens: 1,
            completion_tokens: 1,
            requests: 1,
            ..Default::default()
        };
        // Prompt side 0.3 + 0.2 = 0.5 nanos rounds to 1; the total 0.8 rounds to 1 as well.
        let b = p.cost_breakdown(&u);
        assert_eq!(b.total, p.cost(&u));
        assert_eq!(b.total.as_nanos(), 1);
        assert_eq!(b.prompt.as_nanos(), 1);
        assert_eq!(b.completion, Nanos::ZERO);
        // The prompt part is the cost of the same generation without output.
        let no_output = GenerationUsage {
            completion_tokens: 0,
            reasoning_tokens: 0,
            ..u
        };
        assert_eq!(b.prompt, p.cost(&no_output));

        let big = gpt4o_mini().cost_breakdown(&GenerationUsage {
            prompt_tokens: 1_000,
            cached_tokens: 400,
            completion_tokens: 500,
            ..Default::default()
        });
        // 600 × 0.15 + 400 × 0.075 = 120 µUSD; 500 × 0.60 = 300 µUSD.
        assert_eq!(
            (big.total, big.prompt, big.completion),
            (
                Nanos::from_nanos(420_000),
                Nanos::from_nanos(120_000),
                Nanos::from_nanos(300_000)
            )
        );
        let saturated = gpt4o_mini().cost_breakdown(&tokens(u64::MAX, u64::MAX));
        assert_eq!(
            (saturated.total, saturated.prompt),
            (Nanos::MAX, Nanos::MAX)
        );
        assert_eq!(saturated.completion, Nanos::ZERO);
    }

    #[test]
    fn list_price_orders_by_prompt_plus_completion() {
        assert_eq!(gpt4o_mini().list_price(), per_m("0.75"));
        let absurd = Pricing {
            prompt: Price::from_nanos_per_million(i64::MAX),
            completion: per_m("1"),
            ..Pricing::default()
        };
        assert_eq!(absurd.list_price().nanos_per_million(), i64::MAX);
    }
}
