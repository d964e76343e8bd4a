//! How the pages write money: USD with the precision a person expects. Balances and purchases
//! to the cent (`$12.34`), per-request costs to six decimals (`$0.000123`), catalog prices per
//! million tokens from the API's exact per-token decimal strings (shifted, never through a
//! float).

use api_types::Usd;

/// `$12.34`, `-$0.50`: to the cent, rounded half away from zero.
pub fn usd(amount: Usd) -> String {
    fixed(amount.to_nanos(), 2)
}

/// `$0.000123`: what one request cost, to six decimals.
pub fn usd_cost(amount: Usd) -> String {
    fixed(amount.to_nanos(), 6)
}

/// `2.50`, `2.505`: an amount exactly as the server holds it, for a form field (no `$`; at
/// least two decimals, more only when the amount has them).
pub fn decimal(amount: Usd) -> String {
    let text = fixed(amount.to_nanos(), 9).replacen('$', "", 1);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    format!("{whole}.{fraction:0<2}")
}

/// Integer nanodollars written with `decimals` places (at most 9), computed on integers so that
/// no figure is off by a cent the way a double's `0.1 + 0.2` is.
fn fixed(nanos: i64, decimals: u32) -> String {
    let unit = 10_i128.pow(9 - decimals);
    let magnitude = i128::from(nanos).abs();
    let rounded = (magnitude + unit / 2) / unit; // half away from zero
    let scale = 10_i128.pow(decimals);
    let text = format!(
        "{}.{:0width$}",
        rounded / scale,
        rounded % scale,
        width = decimals as usize
    );
    // `-$0.00` is zero.
    if nanos < 0 && rounded != 0 {
        format!("-${text}")
    } else {
        format!("${text}")
    }
}

/// A per-token USD decimal string (`"0.000003"`) as USD per million tokens (`"3"`), exactly:
/// the decimal point moves six places. `None` for a string that is not a plain decimal.
pub fn per_million(per_token: &str) -> Option<String> {
    let text = per_token.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut fraction = fraction.to_owned();
    while fraction.len() < 6 {
        fraction.push('0');
    }
    let (moved, rest) = fraction.split_at(6);
    let whole = format!("{whole}{moved}");
    let whole = whole.trim_start_matches('0');
    let rest = rest.trim_end_matches('0');
    let mut out = String::new();
    if negative && (!whole.is_empty() || !rest.is_empty()) {
        out.push('-');
    }
    out.push_str(if whole.is_empty() { "0" } else { whole });
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    Some(out)
}

/// A per-token price for people: `$3.00 / M` style, `Free` for zero.
pub fn price_per_million(per_token: &str) -> String {
    match per_million(per_token) {
        Some(p) if p == "0" => "Free".to_owned(),
        Some(p) => {
            // Two decimals at least, as prices are usually quoted ($0.15, $3.00, $0.075).
            let decimals = p.split_once('.').map_or(0, |(_, f)| f.len());
            if decimals >= 2 {
                format!("${p}")
            } else if decimals == 1 {
                format!("${p}0")
            } else {
                format!("${p}.00")
            }
        }
        None => per_token.to_owned(),
    }
}

/// A per-million figure as a number for sorting and filtering (display order only).
pub fn per_million_value(per_token: &str) -> f64 {
    per_million(per_token)
        .and_then(|p| p.parse().ok())
        .unwrap_or(f64::INFINITY)
}

/// `128K`, `1M`, `8,192`: a context length.
pub fn tokens(count: u64) -> String {
    if count >= 1_000_000 && count.is_multiple_of(1_000_000) {
        format!("{}M", count / 1_000_000)
    } else if count >= 1_000 && count.is_multiple_of(1_000) || count >= 100_000 {
        format!("{}K", count / 1_000)
    } else if count >= 1_024 && count.is_multiple_of(1_024) {
        format!("{}K", count / 1_024)
    } else {
        count.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_and_costs() {
        assert_eq!(usd(Usd::from_f64(12.345)), "$12.35");
        assert_eq!(usd(Usd::from_f64(10.0)), "$10.00");
        assert_eq!(usd(Usd::from_f64(-0.5)), "-$0.50");
        assert_eq!(usd(Usd::from_f64(-0.001)), "$0.00");
        assert_eq!(usd_cost(Usd::from_f64(0.000123)), "$0.000123");
        assert_eq!(usd_cost(Usd::from_nanos(1_499)), "$0.000001");
        assert_eq!(usd_cost(Usd::from_nanos(-1_500)), "-$0.000002");
        assert_eq!(usd(Usd::from_nanos(1_005_000_000)), "$1.01");
        assert_eq!(usd(Usd::from_nanos(i64::MAX)), "$9223372036.85");
        // 0.1 + 0.2 in doubles is 0.30000000000000004; in nanos it is 0.3.
        let sum = Usd::from_f64(0.1).to_nanos() + Usd::from_f64(0.2).to_nanos();
        assert_eq!(usd_cost(Usd::from_nanos(sum)), "$0.300000");
    }

    #[test]
    fn decimals_for_forms() {
        assert_eq!(decimal(Usd::from_f64(2.5)), "2.50");
        assert_eq!(decimal(Usd::from_f64(5.0)), "5.00");
        assert_eq!(decimal(Usd::from_nanos(2_505_000_000)), "2.505");
        assert_eq!(decimal(Usd::from_nanos(1)), "0.000000001");
    }

    #[test]
    fn per_million_moves_the_point_exactly() {
        assert_eq!(per_million("0.000003").as_deref(), Some("3"));
        assert_eq!(per_million("0.00000015").as_deref(), Some("0.15"));
        assert_eq!(per_million("0.0000000751").as_deref(), Some("0.0751"));
        assert_eq!(per_million("0").as_deref(), Some("0"));
        assert_eq!(per_million("2").as_deref(), Some("2000000"));
        assert_eq!(per_million("abc"), None);
        assert_eq!(price_per_million("0.000003"), "$3.00");
        assert_eq!(price_per_million("0.00000015"), "$0.15");
        assert_eq!(price_per_million("0.000000075"), "$0.075");
        assert_eq!(price_per_million("0"), "Free");
    }

    #[test]
    fn context_lengths() {
        assert_eq!(tokens(128_000), "128K");
        assert_eq!(tokens(1_000_000), "1M");
        assert_eq!(tokens(131_072), "131K");
        assert_eq!(tokens(8_192), "8K");
        assert_eq!(tokens(500), "500");
    }
}
