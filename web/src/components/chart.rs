//! A bar chart drawn as SVG by the app: one bar per period, a title, a tooltip per bar, and
//! the same figures as a table for screen readers and for anyone who wants the numbers.

use leptos::prelude::*;

/// One bar: its label (`12-05`, `14:00`), its height in the chart's unit (integers: nanos for
/// money, counts otherwise) and the figure as a person reads it (`$0.000123`, `42`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub text: String,
}

/// The drawing's coordinate space; the SVG scales to its container's width.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
/// Room under the bars for the first and last labels.
const AXIS: f64 = 18.0;

/// The bars' geometry: `(x, y, width, height)` per bar in the drawing's space. The tallest
/// bar fills the plot; a zero bar gets no height (its tooltip still says 0).
pub fn layout(bars: &[Bar]) -> Vec<(f64, f64, f64, f64)> {
    let plot = HEIGHT - AXIS;
    let max = bars.iter().map(|b| b.value.max(0)).max().unwrap_or(0);
    let step = WIDTH / bars.len().max(1) as f64;
    let gap = (step * 0.2).min(6.0);
    bars.iter()
        .enumerate()
        .map(|(i, bar)| {
            // Pixels only: the figures shown are `text`, never derived from this ratio.
            let h = if max == 0 {
                0.0
            } else {
                plot * bar.value.max(0) as f64 / max as f64
            };
            (i as f64 * step + gap / 2.0, plot - h, step - gap, h)
        })
        .collect()
}

/// `title` names the chart (the SVG's accessible name); `id` makes its ids unique on the page.
#[component]
pub fn BarChart(id: &'static str, title: String, bars: Vec<Bar>) -> impl IntoView {
    let title_id = format!("{id}-title");
    let (caption_id, svg_labelledby) = (title_id.clone(), title_id.clone());
    let rects = layout(&bars);
    let first = bars.first().map(|b| b.label.clone()).unwrap_or_default();
    let last = bars.last().map(|b| b.label.clone()).unwrap_or_default();
    let drawn = bars
        .iter()
        .zip(rects)
        .map(|(bar, (x, y, w, h))| {
            let tip = format!("{}: {}", bar.label, bar.text);
            view! {
                <rect class="chart-bar" x=x y=y width=w height=h>
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .map(|bar| {
            view! {
                <tr>
                    <th scope="row">{bar.label.clone()}</th>
                    <td>{bar.text.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" aria-labelledby=title_id>
            <figcaption id=caption_id>{title.clone()}</figcaption>
            <svg
                class="chart-svg"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-labelledby=svg_labelledby
            >
                <line class="chart-axis" x1="0" x2=WIDTH y1=HEIGHT - AXIS y2=HEIGHT - AXIS />
                {drawn}
                <text class="chart-label" x="0" y=HEIGHT - 4.0>
                    {first}
                </text>
                <text class="chart-label" x=WIDTH y=HEIGHT - 4.0 text-anchor="end">
                    {last}
                </text>
            </svg>
            <details class="chart-data">
                <summary>"Show the figures as a table"</summary>
                <table class="table" aria-label=title>
                    <thead>
                        <tr>
                            <th scope="col">"Period"</th>
                            <th scope="col">"Value"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(value: i64) -> Bar {
        Bar {
            label: String::new(),
            value,
            text: value.to_string(),
        }
    }

    #[test]
    fn the_tallest_bar_fills_the_plot() {
        let rects = layout(&[bar(0), bar(5), bar(10)]);
        assert_eq!(rects.len(), 3);
        assert_eq!(rects[0].3, 0.0);
        assert_eq!(rects[2].3, HEIGHT - AXIS);
        assert_eq!(rects[1].3, (HEIGHT - AXIS) / 2.0);
        assert!(rects.iter().all(|r| r.0 >= 0.0 && r.0 + r.2 <= WIDTH));
        assert!(layout(&[bar(0), bar(0)]).iter().all(|r| r.3 == 0.0));
        assert!(layout(&[]).is_empty());
    }
}
