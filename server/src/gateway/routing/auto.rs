//! `openrouter/auto`: picks a model for the request from a configured candidate set, by the
//! request's features. Deterministic: the first rule that matches wins.
//!
//! 1. estimated prompt above `long_context_tokens` → `long_context`
//! 2. an image in the messages → `vision`
//! 3. reasoning asked for (`reasoning`, `reasoning_effort`) → `reasoning`
//! 4. `tools` given → `tools`
//! 5. the last user message looks like code (a ``` fence, or two or more of `fn `, `def `,
//!    `class `, `import `, `#include`, `function `, `=>`, `};`) → `code`
//! 6. otherwise → `default`
//!
//! The chosen model is tried first, then `default` as its fallback. Configured in the
//! `[auto_router]` table of the config file (see README, "Configuration").

use serde::{Deserialize, Serialize};

use super::needs::RequestNeeds;
use crate::gateway::types::{ChatRequest, Role};

pub const AUTO_MODEL: &str = "openrouter/auto";
pub const FREE_MODEL: &str = "openrouter/free";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoRouter {
    pub default: String,
    pub long_context: String,
    pub vision: String,
    pub reasoning: String,
    pub tools: String,
    pub code: String,
    /// Estimated prompt tokens above which `long_context` is chosen.
    pub long_context_tokens: u64,
}

impl Default for AutoRouter {
    fn default() -> Self {
        AutoRouter {
            default: "openai/gpt-5-mini".into(),
            long_context: "google/gemini-2.5-pro".into(),
            vision: "google/gemini-2.5-flash".into(),
            reasoning: "openai/gpt-5".into(),
            tools: "anthropic/claude-sonnet-4.5".into(),
            code: "qwen/qwen3-coder".into(),
            long_context_tokens: 100_000,
        }
    }
}

impl AutoRouter {
    /// The model for this request and the rule that chose it.
    pub fn choose(&self, request: &ChatRequest, needs: &RequestNeeds) -> (&str, &'static str) {
        if needs.prompt_tokens > self.long_context_tokens {
            (self.long_context.as_str(), "long_context")
        } else if needs.images {
            (self.vision.as_str(), "vision")
        } else if needs.reasoning {
            (self.reasoning.as_str(), "reasoning")
        } else if needs.tools {
            (self.tools.as_str(), "tools")
        } else if looks_like_code(request) {
            (self.code.as_str(), "code")
        } else {
            (self.default.as_str(), "default")
        }
    }

    /// Every configured model id (for validating the configuration against the catalog).
    pub fn models(&self) -> [&str; 6] {
        [
            self.default.as_str(),
            self.long_context.as_str(),
            self.vision.as_str(),
            self.reasoning.as_str(),
            self.tools.as_str(),
            self.code.as_str(),
        ]
    }
}

fn looks_like_code(request: &ChatRequest) -> bool {
    let Some(last) = request.messages.iter().rev().find(|m| m.role == Role::User) else {
        return false;
    };
    let text = last.text();
    if text.contains("```") {
        return true;
    }
    const MARKERS: [&str; 8] = [
        "fn ",
        "def ",
        "class ",
        "import ",
        "#include",
        "function ",
        "=>",
        "};",
    ];
    MARKERS.iter().filter(|m| text.contains(*m)).count() >= 2
}
