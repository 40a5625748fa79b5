//! Bar charts drawn on the server.

/// A horizontal stacked bar chart drawn on the server (no script).
pub struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub bars: Vec<ChartBar>,
    /// (colour, name) of each kind of segment.
    pub legend: Vec<(&'static str, &'static str)>,
}

pub struct ChartBar {
    pub y: u32,
    /// Baseline of the label line above the bar, and of the total beside the bar.
    pub label_y: u32,
    pub text_y: u32,
    pub label: String,
    pub total: u32,
    pub total_x: u32,
    /// (x, width, colour, tooltip)
    pub segments: Vec<(u32, u32, &'static str, String)>,
}

/// The chart's segments of a tally: (colour, name, count).
fn chart_segments(tally: &crate::domain::dashboard::Tally) -> [(&'static str, &'static str, u32); 5] {
    use crate::domain::request::RequestState;
    [
        ("#1a7f37", "approved or published", tally.done()),
        ("#bf8700", "submitted", tally.of(RequestState::Submitted)),
        ("#0b5cad", "owed, on time", tally.owed_on_time()),
        ("#cf222e", "overdue", tally.overdue()),
        ("#8c959f", "withdrawn", tally.of(RequestState::Withdrawn)),
    ]
}

pub fn chart(title: &str, groups: &[(String, crate::domain::dashboard::Tally)]) -> Chart {
    // Each label sits on its own line above its bar, so the chart stays narrow enough for a
    // phone (it scales down with its viewBox) and no label is cut short.
    const BAR: u32 = 260;
    const ROW: u32 = 38;
    let most = groups.iter().map(|(_, t)| t.total).max().unwrap_or(1).max(1);
    let bars = groups
        .iter()
        .enumerate()
        .map(|(i, (label, tally))| {
            let y = i as u32 * ROW;
            let mut x = 0;
            let mut segments = Vec::new();
            for (colour, name, n) in chart_segments(tally) {
                if n == 0 {
                    continue;
                }
                let width = (n * BAR / most).max(2);
                segments.push((x, width, colour, format!("{label}: {n} {name}")));
                x += width;
            }
            ChartBar {
                y: y + 17,
                label_y: y + 12,
                text_y: y + 30,
                label: label.clone(),
                total: tally.total,
                total_x: x + 6,
                segments,
            }
        })
        .collect();
    Chart {
        title: title.into(),
        width: BAR + 50,
        height: (groups.len() as u32 * ROW).max(ROW),
        bars,
        legend: chart_segments(&Default::default())
            .iter()
            .map(|(c, n, _)| (*c, *n))
            .collect(),
    }
}
