//! `switchboard replay-usage [FILE]`: writes the usage records of the dead-letter file
//! (default `<data_dir>/usage-dead-letter.jsonl`) to the database, each request in its own
//! transaction; prints what it did as JSON. Requests that fail again stay in the file.

use crate::config::Config;
use crate::usage::dead_letter;

pub async fn run(
    config: Config,
    file: Option<std::path::PathBuf>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let url = config.resolved_database_url()?;
    let db = crate::db::connect(&url, 2).await?;
    crate::db::migrate(&db).await?;
    let path = file.unwrap_or_else(|| config.data_dir.join(dead_letter::FILE_NAME));
    let replayed = dead_letter::replay(&url, &path).await?;
    println!(
        "{}",
        serde_json::json!({
            "file": path.display().to_string(),
            "written": replayed.written,
            "already_written": replayed.already_written,
            "failed": replayed.failed,
        })
    );
    Ok(replayed.failed == 0)
}
