//! config -> db -> migrations -> state -> HttpServer; nothing else.

use server::app;
use server::commands::{self, Command};
use server::config::Config;

// glibc's malloc spent a fifth of the gateway's CPU in the load profile (small JSON and
// header allocations freed on other threads); jemalloc's thread caches cut that.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    server::logging::init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("switchboard: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // A benchmark build must never be served by mistake: each needs its variable set to 1.
    let benchmark_builds = [
        (
            cfg!(feature = "bench-unrecorded"),
            "bench-unrecorded",
            "BENCH_UNRECORDED",
            "it records and bills nothing",
        ),
        (
            cfg!(feature = "bench-unfunded"),
            "bench-unfunded",
            "BENCH_UNFUNDED",
            "it reserves and debits no credit",
        ),
    ];
    for (built, feature, variable, what) in benchmark_builds {
        if !built {
            continue;
        }
        if std::env::var(variable).as_deref() != Ok("1") {
            return Err(format!(
                "built with the {feature} feature: {what}; set {variable}=1 to run it for a benchmark"
            )
            .into());
        }
        tracing::warn!("{feature} build: {what}");
    }
    let command = Command::from_args(std::env::args())?;
    let config = Config::load()?;
    if !matches!(command, Command::Serve) {
        return match commands::run(command, config).await? {
            true => Ok(()),
            false => Err("the check found problems (see above)".into()),
        };
    }
    let listener = app::listen(&config)?;
    let bind = listener.local_addr()?;
    let state = app::init(config).await?;
    tracing::info!(%bind, "listening");
    // SIGTERM/SIGINT: actix stops accepting and lets in-flight requests (streams included)
    // finish for up to `SHUTDOWN_TIMEOUT_SECS`; the ones still open then are cut off.
    app::serve(state.clone(), listener)?.await?;
    // Every request's records reach the writer (a cut-off one's as cancelled), then the
    // writer commits what is queued and stops.
    let usage = state.inference.usage();
    usage.settle(std::time::Duration::from_secs(10)).await;
    usage.stop().await;
    server::otlp::flush().await;
    // Every debit is written: the leased credit goes back to the organizations.
    if let Err(err) = state.inference.credit_accounts().release_all().await {
        tracing::warn!(%err, "releasing credit leases failed (they expire on their own)");
    }
    tracing::info!("stopped");
    Ok(())
}
