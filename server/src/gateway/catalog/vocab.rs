//! The closed vocabularies of OpenRouter's model API (from its `openrouter`
//! 1.3.84 SDK enums), so a typo in the data file fails loading instead of
//! reaching clients.

/// `Parameter`: names in `supported_parameters`.
pub const PARAMETERS: &[&str] = &[
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "top_a",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "max_tokens",
    "max_completion_tokens",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "prediction",
    "seed",
    "response_format",
    "structured_outputs",
    "stop",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "include_reasoning",
    "reasoning",
    "reasoning_effort",
    "web_search_options",
    "verbosity",
];

/// `InputModality`.
pub const INPUT_MODALITIES: &[&str] = &["text", "image", "file", "audio", "video"];

/// `OutputModality`.
pub const OUTPUT_MODALITIES: &[&str] = &[
    "text",
    "image",
    "embeddings",
    "audio",
    "video",
    "rerank",
    "decisions",
    "speech",
    "transcription",
];

/// `ModelGroup`: the `tokenizer` field.
pub const TOKENIZERS: &[&str] = &[
    "Router", "Media", "Other", "GPT", "Claude", "Gemini", "Gemma", "Grok", "Cohere", "Nova",
    "Qwen", "Yi", "DeepSeek", "Mistral", "Llama2", "Llama3", "Llama4", "PaLM", "RWKV", "Qwen3",
];

/// `InstructType`.
pub const INSTRUCT_TYPES: &[&str] = &[
    "none",
    "airoboros",
    "alpaca",
    "alpaca-modif",
    "chatml",
    "claude",
    "code-llama",
    "gemma",
    "llama2",
    "llama3",
    "mistral",
    "nemotron",
    "neural",
    "openchat",
    "phi3",
    "rwkv",
    "vicuna",
    "zephyr",
    "deepseek-r1",
    "deepseek-v3.1",
    "qwq",
    "qwen3",
];

/// `ReasoningEffort` values accepted in a model's reasoning description.
pub const REASONING_EFFORTS: &[&str] =
    &["max", "xhigh", "high", "medium", "low", "minimal", "none"];
