//! `provider-emulator`: serves the OpenAI, Anthropic and Gemini emulations on one port, for
//! benchmarks and for trying the gateway locally.

use std::process::ExitCode;

use provider_emulator::{EmulatorConfig, Knobs};

const USAGE: &str = "\
usage: provider-emulator [options] [--<knob> <value>]...

  --host HOST            address to bind (default 127.0.0.1)
  --port PORT            port to bind (default 4010; 0 picks a free one)
  --api-key KEY          the accepted API key for every protocol (default test-key)
  --any-key              accept any non-empty key
  --workers N            actix worker threads (default: number of CPUs)
  --log-capacity N       requests kept for GET /_emulator/requests (default 10000; 0 = off)
  --models a,b,c         ids listed by GET /v1/models
  --strict-models        404 for model ids not in --models
  -h, --help             this text

Knobs (emulator-wide defaults; per request use the header x-emulator-<knob> or the body
directive [[emulator: <knob>=<value> ...]]):
  --latency-ms --ttft-ms --chunk-delay-ms --chunks --reply --reply-tokens --status
  --fail-first --scenario --retry-after --disconnect-after --malformed-after
  --stream-error-after --usage-null-chunks

Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings, GET /v1/models (OpenAI);
POST /v1/messages (Anthropic); POST /v1beta/models/{model}:generateContent|streamGenerateContent
(Gemini); GET|DELETE /_emulator/requests, GET /_emulator/stats, GET|POST /_emulator/knobs,
POST /_emulator/reset, GET /health.";

fn parse_args() -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig {
        bind: String::new(),
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        handle_signals: true,
        ..EmulatorConfig::default()
    };
    let (mut host, mut port) = ("127.0.0.1".to_owned(), "4010".to_owned());
    let mut knobs = Knobs::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(name) = arg.strip_prefix("--") else {
            if arg == "-h" {
                return Err(String::new());
            }
            return Err(format!("unexpected argument `{arg}`"));
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (name.to_owned(), None),
        };
        match name.as_str() {
            "help" => return Err(String::new()),
            "any-key" => config.api_key = None,
            "strict-models" => config.strict_models = true,
            "usage-null-chunks" if inline.is_none() => knobs.usage_null_chunks = true,
            _ => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                let number = |v: &str| {
                    v.parse::<usize>()
                        .map_err(|_| format!("--{name}: not a number: {v}"))
                };
                match name.as_str() {
                    "host" => host = value,
                    "port" => port = value,
                    "api-key" => config.api_key = Some(value),
                    "workers" => config.workers = number(&value)?,
                    "log-capacity" => config.log_capacity = number(&value)?,
                    "models" => {
                        config.models = value.split(',').map(str::trim).map(String::from).collect()
                    }
                    knob => knobs.set(knob, &value).map_err(|e| e.to_string())?,
                }
            }
        }
    }
    config.bind = format!("{host}:{port}");
    config.knobs = knobs;
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("provider-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match std::net::TcpListener::bind(&config.bind) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("provider-emulator: cannot bind {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map_or_else(|_| config.bind.clone(), |a| a.to_string());
    let key = config.api_key.clone().unwrap_or_else(|| "<any>".into());
    let result = actix_web::rt::System::new().block_on(async move {
        let server = provider_emulator::serve(config, listener)?;
        println!("provider-emulator listening on http://{addr} (OpenAI base http://{addr}/v1, API key {key})");
        server.await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provider-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
