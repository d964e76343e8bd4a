//! config -> db -> migrations -> state -> HttpServer; nothing else.

use server::app;
use server::commands::{self, Command};
use server::config::Config;
use tracing_subscriber::EnvFilter;

// glibc's malloc spent a fifth of the gateway's CPU in the load profile (small JSON and
// header allocations freed on other threads); jemalloc's thread caches cut that.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
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
    app::serve(state.clone(), listener)?.await?;
    // In-flight requests have finished; their generation records are written before exit.
    state.inference.usage().stop().await;
    // Every debit is written: the leased credit goes back to the organizations.
    if let Err(err) = state.inference.credit_accounts().release_all().await {
        tracing::warn!(%err, "releasing credit leases failed (they expire on their own)");
    }
    tracing::info!("stopped");
    Ok(())
}
