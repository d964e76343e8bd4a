//! `switchboard <command>`: one-off operator commands that run against the configured database
//! and exit, beside the default of serving.

mod reconcile;

use crate::config::Config;

/// What the command line asks for.
pub enum Command {
    Serve,
    /// Checks every organization's cached balance against its ledger; exits 1 on a mismatch.
    Reconcile,
}

impl Command {
    /// Reads the first argument; an unknown one is an error naming the known ones.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
        match args.nth(1).as_deref() {
            None | Some("serve") => Ok(Command::Serve),
            Some("reconcile") => Ok(Command::Reconcile),
            Some(other) => Err(format!(
                "unknown command {other:?}; commands: serve (the default), reconcile"
            )),
        }
    }
}

/// Runs a command other than serving; `Ok(true)` when it found everything in order.
pub async fn run(command: Command, config: Config) -> Result<bool, Box<dyn std::error::Error>> {
    match command {
        Command::Serve => Ok(true),
        Command::Reconcile => reconcile::run(config).await,
    }
}
