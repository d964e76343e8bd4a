"""Real coding agents against the gateway, the emulator playing the model: Codex CLI over the
Responses API, Claude Code over the Messages API. Each gets a task; the emulator answers by
calling the agent's first tool, the agent runs it and sends the result back, and the emulator
then answers in text, so that a pass means a full tool-call round trip through the gateway.

run.sh installs the agents (tests/clients/agents) and sets SB_AGENTS_BIN to their bin folder.
"""

import json
import os
import subprocess

import pytest

AGENTS_BIN = os.environ.get("SB_AGENTS_BIN")
pytestmark = pytest.mark.skipif(not AGENTS_BIN, reason="SB_AGENTS_BIN not set (see run.sh)")


def _run(argv, env, cwd):
    # The agents must not reach the internet: only the gateway on localhost.
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TERM")}
    return subprocess.run(argv, env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=180)


def test_codex_cli_completes_a_tool_task(api_key, base_url, tmp_path):
    home = tmp_path / "codex-home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / "config.toml").write_text(
        'model = "openai/gpt-4o-mini"\n'
        'model_provider = "switchboard"\n\n'
        "[model_providers.switchboard]\n"
        'name = "Switchboard"\n'
        f'base_url = "{base_url}"\n'
        'env_key = "SWITCHBOARD_KEY"\n'
        'wire_api = "responses"\n'
    )
    done = _run(
        [
            os.path.join(AGENTS_BIN, "codex"),
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "List the files in the current directory using the shell tool",
        ],
        {"CODEX_HOME": str(home), "SWITCHBOARD_KEY": api_key, "HOME": str(tmp_path)},
        work,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    # The emulator's call ran as a command, and its output went back to the model.
    assert "\nexec\n" in out and " exited " in out, out[-4000:]
    assert "You said:" in out, out[-4000:]


def test_claude_code_completes_a_tool_task(api_key, base_url, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    done = _run(
        [
            os.path.join(AGENTS_BIN, "claude"),
            "-p",
            "List the files in the current directory with the Bash tool",
            "--model",
            "anthropic/claude-haiku-4.5",
            "--allowedTools",
            "Bash",
            "--output-format",
            "json",
        ],
        {
            "HOME": str(tmp_path),
            # The SDK appends /v1/messages.
            "ANTHROPIC_BASE_URL": base_url.removesuffix("/v1"),
            "ANTHROPIC_API_KEY": api_key,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
        },
        work,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["is_error"] is False, result
    assert result["num_turns"] >= 2, "at least one tool call and its answer"
    assert "You said:" in result["result"]
