//! `switchboard <command>`: one-off operator commands that run against the configured database
//! and exit, beside the default of serving.

mod reconcile;
mod replay_usage;
mod rotate_master_key;

use crate::config::Config;

/// What the command line asks for.
pub enum Command {
    Serve,
    /// Checks every organization's cached balance against its ledger; exits 1 on a mismatch.
    Reconcile,
    /// Re-encrypts every stored BYOK key from `OLD_MASTER_KEY` to `MASTER_KEY`.
    RotateMasterKey,
    /// Writes the usage writer's dead-letter file (the default one, or the file named).
    ReplayUsage(Option<std::path::PathBuf>),
}

impl Command {
    /// Reads the first argument; an unknown one is an error naming the known ones.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
        let command = args.nth(1);
        match command.as_deref() {
            None | Some("serve") => Ok(Command::Serve),
            Some("reconcile") => Ok(Command::Reconcile),
            Some("rotate-master-key") => Ok(Command::RotateMasterKey),
            Some("replay-usage") => Ok(Command::ReplayUsage(args.next().map(Into::into))),
            Some(other) => Err(format!(
                "unknown command {other:?}; commands: serve (the default), reconcile, rotate-master-key, replay-usage [FILE]"
            )),
        }
    }
}

/// Runs a command other than serving; `Ok(true)` when it found everything in order.
pub async fn run(command: Command, config: Config) -> Result<bool, Box<dyn std::error::Error>> {
    match command {
        Command::Serve => Ok(true),
        Command::Reconcile => reconcile::run(config).await,
        Command::ReplayUsage(file) => replay_usage::run(config, file).await,
        Command::RotateMasterKey => {
            rotate_master_key(&config, std::env::var("OLD_MASTER_KEY").ok()).await?;
            Ok(true)
        }
    }
}

/// `rotate-master-key` with the old key given (the command reads `OLD_MASTER_KEY`).
pub async fn rotate_master_key(
    config: &Config,
    old: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    rotate_master_key::run(config, old).await
}
