//! Funding a request before it is routed: reserve its worst case from the organization's
//! credit (see `billing::reservations`), so that concurrent requests can never together spend
//! more than the organization holds, and cap — rather than refuse — a request that named no
//! output limit when the balance cannot cover the endpoint's whole output.
//!
//! The worst case is the prompt's upper bound (below) at the dearest input price, plus the
//! output limit at the dearest output price, plus per-image and per-request prices, at the
//! most expensive endpoint the plan may try.

use std::io;
use std::sync::Arc;

use serde::Serialize;

use super::response::InferenceError;

use crate::accounts::key_cache::AuthKey;
use crate::billing::budgets::OrgBudgets;
use crate::billing::leases::Subject;
use crate::billing::money::Nanos;
use crate::billing::reservations::{CreditAccounts, Reservation, ReserveError};
use crate::gateway::relay::{Target, request_images};
use crate::gateway::types::{ChatRequest, ContentPart, EmbeddingRequest, MessageContent};

/// Tokens an input image may count as, at most, for the reservation (Anthropic's largest
/// image is about 1,600 tokens; OpenAI's high-detail tiles stay under that too).
const IMAGE_TOKEN_BOUND: u64 = 2_000;
/// How a refusal for a key's spending limit begins (its generation record's `error`): the
/// 100 % key-spend alert counts such a refusal as the limit reached.
pub const KEY_LIMIT_REFUSAL: &str = "Key limit exceeded";
/// Template tokens around each message (role markers and separators).
const MESSAGE_OVERHEAD: u64 = 8;
/// Template tokens around the whole conversation.
const REQUEST_OVERHEAD: u64 = 16;
/// The smallest useful answer: below this, a request is refused instead of capped.
pub const MIN_OUTPUT_TOKENS: u64 = 16;
/// The output limit assumed for an endpoint whose catalog entry states neither a maximum
/// output nor a context length.
const UNKNOWN_MAX_OUTPUT: u64 = 32_768;

/// A funded request: its reservations (the organization's, and the key's when it has a
/// limit; none when every endpoint is free) and the output cap the gateway set because the
/// payer could afford no more.
#[derive(Default)]
pub struct Funding {
    pub reservations: Vec<Reservation>,
    pub capped_max_tokens: Option<u64>,
}

/// Counts the bytes serde would write, without writing them.
struct ByteCount(u64);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn json_len(value: &impl Serialize) -> u64 {
    let mut count = ByteCount(0);
    // Serializing the gateway's own types into a counter cannot fail.
    serde_json::to_writer(&mut count, value).ok();
    count.0
}

/// An upper bound on the prompt's tokens: every token of a text tokenizer covers at least one
/// byte, and the JSON text of the messages and tools has at least as many bytes as the text
/// the model reads. Images count [`IMAGE_TOKEN_BOUND`] each instead of their encoded bytes.
pub fn prompt_token_bound(request: &ChatRequest) -> u64 {
    let mut bound = REQUEST_OVERHEAD;
    for message in &request.messages {
        bound += MESSAGE_OVERHEAD + json_len(message);
        if let Some(MessageContent::Parts(parts)) = &message.content {
            for part in parts {
                if matches!(part, ContentPart::ImageUrl { .. }) {
                    bound = bound.saturating_sub(json_len(part)) + IMAGE_TOKEN_BOUND;
                }
            }
        }
    }
    if let Some(tools) = &request.tools {
        bound += json_len(tools);
    }
    if let Some(format) = &request.response_format {
        bound += json_len(format);
    }
    bound
}

/// The most output `target` may produce for a prompt of `prompt` tokens.
fn endpoint_max_output(target: &Target, prompt: u64) -> u64 {
    match (target.max_output_tokens, target.context_length) {
        (Some(max), _) => max,
        (None, 0) => UNKNOWN_MAX_OUTPUT,
        (None, context) => context.saturating_sub(prompt).max(1),
    }
}

/// The dearest worst case over `targets` with `output` tokens (`None`: each endpoint's own
/// maximum), in what each would charge from credit.
fn worst_case(targets: &[Target], prompt: u64, output: Option<u64>, images: u64) -> Nanos {
    targets
        .iter()
        .map(|t| {
            let out = output.unwrap_or_else(|| endpoint_max_output(t, prompt));
            // A BYOK target charges only its fee from credit.
            t.quote(t.pricing.worst_case_cost(prompt, out, images))
        })
        .max()
        .unwrap_or(Nanos::ZERO)
}

/// The most output tokens (up to `ceiling`) whose worst case fits `available` at every target.
fn affordable_output(
    targets: &[Target],
    prompt: u64,
    images: u64,
    available: Nanos,
    ceiling: u64,
) -> u64 {
    let fits = |out: u64| worst_case(targets, prompt, Some(out), images) <= available;
    if !fits(0) {
        return 0;
    }
    let (mut low, mut high) = (0u64, ceiling);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if fits(mid) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

/// Who pays: the organization's balance, its budgets when it has some, and the key's limit
/// when it has one.
pub struct Payer<'a> {
    pub org_id: &'a str,
    /// The organization has budgets.
    pub budgeted: bool,
    /// The key's hash when the key has a spending limit.
    pub limited_key: Option<&'a str>,
}

impl<'a> Payer<'a> {
    /// The organization of `key` (with its budgets), and the key itself when it has a
    /// spending limit.
    pub fn of(key: &'a AuthKey, budgets: &OrgBudgets) -> Payer<'a> {
        Payer {
            org_id: &key.key.org_id,
            budgeted: budgets.has_budget(&key.key.org_id),
            limited_key: key
                .key
                .limit_nanos
                .is_some()
                .then_some(key.key.hash.as_str()),
        }
    }

    fn subjects(&self) -> Vec<Subject> {
        let mut subjects = vec![Subject::Org(self.org_id.to_owned())];
        if self.budgeted {
            subjects.push(Subject::Budget(self.org_id.to_owned()));
        }
        subjects.extend(self.limited_key.map(|hash| Subject::Key(hash.to_owned())));
        subjects
    }
}

/// Which of the payer's subjects came up short, and what it could cover.
struct Shortfall {
    subject: Subject,
    available: Nanos,
    limited_by: Option<Arc<str>>,
}

/// 403 for an organization over one of its budgets.
fn over_budget(limited_by: Option<&str>) -> InferenceError {
    InferenceError::OverBudget(format!(
        "Organization {} exceeded",
        limited_by.unwrap_or("budget")
    ))
}

/// Reserves `need` from every subject, or none: a subject short of it releases the others.
async fn reserve_all(
    accounts: &CreditAccounts,
    subjects: &[Subject],
    need: Nanos,
) -> Result<Result<Vec<Reservation>, Shortfall>, InferenceError> {
    let mut held = Vec::with_capacity(subjects.len());
    for subject in subjects {
        match accounts.reserve(subject, need).await {
            Ok(reservation) => held.push(reservation),
            Err(ReserveError::Short {
                available,
                limited_by,
            }) => {
                return Ok(Err(Shortfall {
                    subject: subject.clone(),
                    available,
                    limited_by,
                }));
            }
            Err(ReserveError::Db(err)) => return Err(InferenceError::Unavailable(err.to_string())),
        }
    }
    Ok(Ok(held))
}

/// OpenRouter's 402 for a request whose output its payer cannot cover (403 for a budget).
fn refused(
    short: &Shortfall,
    requested: u64,
    affordable: u64,
    credits_url: &str,
) -> InferenceError {
    InferenceError::InsufficientCredit(match &short.subject {
        Subject::Budget(_) => return over_budget(short.limited_by.as_deref()),
        Subject::Org(_) => format!(
            "This request requires more credits, or fewer max_tokens. You requested up to \
             {requested} tokens, but can only afford {affordable}. To increase, visit \
             {credits_url} and add more credits"
        ),
        Subject::Key(_) => format!(
            "{KEY_LIMIT_REFUSAL}: this request requires more than the key's remaining limit, \
             or fewer max_tokens. You requested up to {requested} tokens, but the key can only \
             afford {affordable}. Raise the key's limit or wait for its reset"
        ),
    })
}

/// Reserves a chat request's worst case from its payer, capping its output when it named no
/// limit and the payer cannot cover the endpoints' whole output.
pub async fn fund_chat(
    accounts: &CreditAccounts,
    payer: Payer<'_>,
    request: &mut ChatRequest,
    targets: &mut Vec<Target>,
    credits_url: &str,
) -> Result<Funding, InferenceError> {
    if cfg!(feature = "bench-unfunded") {
        return Ok(Funding::default());
    }
    let prompt = prompt_token_bound(request);
    let images = request_images(request);
    let asked = request.max_output_tokens().map(u64::from);
    let need = worst_case(targets, prompt, asked, images);
    if !need.is_positive() {
        return Ok(Funding::default());
    }
    let subjects = payer.subjects();
    let mut short = match reserve_all(accounts, &subjects, need).await? {
        Ok(reservations) => {
            return Ok(Funding {
                reservations,
                capped_max_tokens: None,
            });
        }
        Err(short) => short,
    };
    // Endpoints the payer cannot afford leave the plan when others remain that it can (the
    // platform behind the organization's own key, a dear fallback model), rather than refusing
    // or capping the request for all of them.
    let fits =
        |t: &Target| worst_case(std::slice::from_ref(t), prompt, asked, images) <= short.available;
    if targets.iter().any(fits) && !targets.iter().all(fits) {
        targets.retain(fits);
        let need = worst_case(targets, prompt, asked, images);
        match reserve_all(accounts, &subjects, need).await? {
            Ok(reservations) => {
                return Ok(Funding {
                    reservations,
                    capped_max_tokens: None,
                });
            }
            Err(again) => short = again,
        }
    }
    let ceiling = asked.unwrap_or_else(|| {
        targets
            .iter()
            .map(|t| endpoint_max_output(t, prompt))
            .max()
            .unwrap_or(UNKNOWN_MAX_OUTPUT)
    });
    let affordable = affordable_output(targets, prompt, images, short.available, ceiling);
    if asked.is_some() || affordable < MIN_OUTPUT_TOKENS {
        return Err(refused(&short, ceiling, affordable, credits_url));
    }
    let capped = u32::try_from(affordable).unwrap_or(u32::MAX);
    let need = worst_case(targets, prompt, Some(u64::from(capped)), images);
    // Another request may have taken the credit meanwhile: then this one is refused.
    let reservations = match reserve_all(accounts, &subjects, need).await? {
        Ok(reservations) => reservations,
        Err(short) => return Err(refused(&short, ceiling, affordable, credits_url)),
    };
    request.max_tokens = Some(capped);
    Ok(Funding {
        reservations,
        capped_max_tokens: Some(u64::from(capped)),
    })
}

/// Reserves an embeddings request's worst case (its input's byte count as tokens).
pub async fn fund_embeddings(
    accounts: &CreditAccounts,
    payer: Payer<'_>,
    request: &EmbeddingRequest,
    targets: &[Target],
) -> Result<Funding, InferenceError> {
    if cfg!(feature = "bench-unfunded") {
        return Ok(Funding::default());
    }
    let prompt = REQUEST_OVERHEAD + json_len(&request.input);
    let need = worst_case(targets, prompt, Some(0), 0);
    if !need.is_positive() {
        return Ok(Funding::default());
    }
    match reserve_all(accounts, &payer.subjects(), need).await? {
        Ok(reservations) => Ok(Funding {
            reservations,
            capped_max_tokens: None,
        }),
        Err(short) => Err(InferenceError::InsufficientCredit(match short.subject {
            Subject::Budget(_) => return Err(over_budget(short.limited_by.as_deref())),
            Subject::Org(_) => format!(
                "This request requires more credits than the ${} available. To increase, add \
                 more credits",
                short.available
            ),
            Subject::Key(_) => format!(
                "{KEY_LIMIT_REFUSAL}: this request requires more than the key's remaining ${}",
                short.available
            ),
        })),
    }
}
