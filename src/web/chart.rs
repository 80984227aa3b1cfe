//! Bar charts as SVG, laid out on the server: the template draws rectangles at the coordinates computed
//! here, so a chart needs no script and no inline style (colours come from CSS classes).

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The category, under the bar.
    pub label: String,
    /// The value, above the bar.
    pub value: String,
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Centre, for the labels.
    pub mid: u32,
}

/// A vertical bar chart in a `width` × `height` view box.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Accessible name.
    pub title: String,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
    /// View box width.
    pub width: u32,
    /// View box height.
    pub height: u32,
    /// Y of the axis line and the baseline of the bars.
    pub baseline: u32,
}

impl BarChart {
    /// Lays out `(label, value)` pairs; the tallest bar fills the plot height.
    pub fn new(title: &str, data: &[(String, u64)]) -> Self {
        const WIDTH: u32 = 560;
        const HEIGHT: u32 = 220;
        const TOP: u32 = 24;
        const BOTTOM: u32 = 28;
        let plot = HEIGHT - TOP - BOTTOM;
        let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
        let n = u32::try_from(data.len()).unwrap_or(1).max(1);
        let slot = WIDTH / n;
        let width = (slot * 3 / 5).max(4);
        let bars = data
            .iter()
            .enumerate()
            .map(|(i, (label, value))| {
                let i = u32::try_from(i).unwrap_or(0);
                // `value <= max`, so the height fits in the plot.
                let height = u32::try_from(u64::from(plot) * value / max).unwrap_or(plot);
                let x = i * slot + (slot - width) / 2;
                Bar {
                    label: label.clone(),
                    value: value.to_string(),
                    x,
                    y: TOP + plot - height,
                    width,
                    height,
                    mid: x + width / 2,
                }
            })
            .collect();
        Self {
            title: title.to_owned(),
            bars,
            width: WIDTH,
            height: HEIGHT,
            baseline: TOP + plot,
        }
    }

    /// Where the category labels sit.
    pub fn label_y(&self) -> u32 {
        self.baseline + 18
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tallest_bar_fills_the_plot_and_zero_is_flat() {
        let c = BarChart::new("t", &[("a".into(), 10), ("b".into(), 5), ("c".into(), 0)]);
        assert_eq!(c.bars[0].y + c.bars[0].height, c.baseline);
        assert_eq!(c.bars[0].height, 2 * c.bars[1].height);
        assert_eq!(c.bars[2].height, 0);
        assert!(c.bars[2].x + c.bars[2].width <= c.width);
    }

    #[test]
    fn an_empty_chart_has_no_bars() {
        assert!(BarChart::new("t", &[]).bars.is_empty());
    }
}
