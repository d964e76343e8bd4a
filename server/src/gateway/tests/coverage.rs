//! Guards "every fixture is tested": a new fixture file fails this test
//! until a conformance test reads it and it is listed here.

use super::support::fixture_path;

/// Provider fixtures read by the conformance tests, per folder.
const COVERED: &[(&str, &[&str])] = &[
    (
        "openai",
        &[
            "chat_json_schema_request_response.json",
            "chat_nonstream_basic.json",
            "chat_nonstream_logprobs.json",
            "chat_nonstream_recorded_variants.json",
            "chat_nonstream_tool_call.json",
            "chat_request_image_url.json",
            "chat_stream_finish_length.sse",
            "chat_stream_json_schema.sse",
            "chat_stream_logprobs.sse",
            "chat_stream_parallel_tool_calls.sse",
            "chat_stream_refusal.sse",
            "chat_stream_spec_example.json",
            "chat_stream_text_with_usage.sse",
            "chat_stream_tool_call.sse",
            "chat_tool_call_recorded.json",
            "errors.json",
        ],
    ),
    (
        "anthropic",
        &[
            "cassette_400_invalid_request_error.json",
            "cassette_429_rate_limit_then_stream.json",
            "cassette_structured_output_nonstream.json",
            "cassette_tool_use_roundtrip_nonstream.json",
            "cassette_tool_use_roundtrip_stream.json",
            "errors.json",
            "go_vcr_tool_runner_basic.yaml",
            "go_vcr_tool_runner_streaming.yaml",
            "headers.json",
            "prompt_caching_and_thinking.json",
            "stream_error_event.sse",
            "stream_refusal_stop_reason.sse",
            "stream_text_basic.sse",
            "stream_text_recorded_padded.sse",
            "stream_thinking_signature_delta.sse",
            "stream_tool_use_input_json_delta.sse",
        ],
    ),
    (
        "gemini",
        &[
            "error_400_api_key_invalid.json",
            "error_403_api_not_enabled.json",
            "error_404_unknown_model.json",
            "embeddings_documented.json",
            "recording_countTokens.json",
            "recording_generateContent_functionCall_parameters_OBJECT_schema.json",
            "recording_generateContent_functionCall_thoughtSignature.json",
            "recording_generateContent_includeThoughts_v1alpha.json",
            "recording_generateContent_responseJsonSchema_cachedContentTokenCount.json",
            "recording_generateContent_systemInstruction.json",
            "recording_generateContent_thinkingBudget.json",
            "recording_streamGenerateContent_error_404.json",
            "recording_streamGenerateContent_functionCall_functionResponse.json",
            "recording_streamGenerateContent_systemInstruction.json",
            "reference.json",
            "response_basic_reply_short.json",
            "response_finish_reason_safety.json",
            "response_thinking_function_call_thought_signature.json",
            "response_vertex_implicit_caching_cachedContentTokenCount.json",
            "stream_after_functionResponse_from_recording.sse",
            "stream_basic_reply_short.sse",
            "stream_functionCall_from_recording.sse",
            "stream_prompt_blocked_safety.sse",
            "stream_systemInstruction_from_recording.sse",
            "stream_thinking_function_call_thought_signature.sse",
            "stream_thinking_thought_summary.sse",
        ],
    ),
    (
        "openai-responses",
        &[
            "cassette_error_400_decimal_below_min_value.json",
            "cassette_error_400_model_not_found.json",
            "cassette_error_400_reasoning_item_without_following_item.json",
            "cassette_nonstream_function_call_roundtrip.json",
            "cassette_nonstream_parallel_function_calls.json",
            "cassette_nonstream_reasoning_tool_roundtrip.json",
            "cassette_nonstream_text.json",
            "cassette_stream_reasoning_function_call_tool_choice_required.json",
            "codex_cli_request_from_tests.json",
            "error_400_unsupported_parameter_temperature.json",
            "error_insufficient_quota.json",
            "nonstream_reasoning_summary_encrypted_store_false.json",
            "recording_nonstream_function_call_previous_response_id.json",
            "recording_nonstream_incomplete_max_output_tokens.json",
            "recording_nonstream_json_schema.json",
            "recording_nonstream_reasoning_store_false.json",
            "recording_nonstream_tool_choice_function.json",
            "recording_store_false_then_get_404.json",
            "recording_stream_function_call.json",
            "recording_stream_text.json",
            "snapshot_nonstream_text_cache_write_tokens.json",
            "spec_create_response_examples.json",
            "spec_stream_event_examples.json",
            "stream_error_then_response_failed.chunks.txt",
            "stream_function_call.sse",
            "stream_reasoning_encrypted_function_call.sse",
            "stream_reasoning_summary_function_calls.chunks.txt",
            "stream_text.sse",
        ],
    ),
];

/// The OpenAPI documents are schema references, not exchanges.
const NOT_EXCHANGES: &[&str] = &["openapi.yaml", "README.md"];

#[test]
fn every_provider_fixture_is_covered() {
    for (dir, covered) in COVERED {
        let mut found: Vec<String> = std::fs::read_dir(fixture_path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !NOT_EXCHANGES.contains(&n.as_str()))
            .collect();
        found.sort();
        let mut listed: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed, "fixtures/{dir}");
    }
}
