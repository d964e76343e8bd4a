//! The fake Stripe (`tests::stripe_fake`) as a process, with its hosted payment page, for
//! the browser tests (tests/browser/run.sh): prints its base URL (what `STRIPE_API_BASE`
//! takes) on the first line of stdout, then serves until it is killed.

use std::io::Write;

fn main() {
    let fake = tests::stripe_fake::FakeStripe::start_hosted();
    let mut out = std::io::stdout();
    writeln!(out, "{}", fake.base).expect("stdout");
    out.flush().expect("stdout");
    loop {
        std::thread::park();
    }
}
