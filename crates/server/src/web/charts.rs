//! Dashboard charts as SVG, drawn by plotters and embedded in the page. The
//! SVG backend writes `<text>` with the font stack below and escapes the text
//! itself, so Chinese labels render with the reader's CJK font and no font
//! files ship with the binary. Every chart's numbers are also in a table.

use plotters::prelude::*;

/// CJK-capable fonts first; the browser takes the first it has.
pub const FONT: &str =
    "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif";

const RECEIVED: RGBColor = RGBColor(22, 100, 255);
const CLOSED: RGBColor = RGBColor(43, 122, 61);
const BAR: RGBColor = RGBColor(180, 35, 42);
const GRID: RGBColor = RGBColor(222, 224, 227);

/// One line of a trend chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub values: &'a [i64],
}

/// Counts per week as lines (received, closed), one point per week label.
pub fn trend(title: &str, weeks: &[String], series: &[Series<'_>]) -> String {
    let mut out = String::new();
    if let Err(e) = draw_trend(&mut out, title, weeks, series) {
        tracing::warn!(error = %e, "trend chart failed");
        return String::new();
    }
    out
}

fn draw_trend(
    out: &mut String,
    title: &str,
    weeks: &[String],
    series: &[Series<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    let n = weeks.len().max(1);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(4);
    let root = SVGBackend::with_string(out, (720, 320)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0..(n - 1).max(1), 0..top + top / 5 + 1)?;
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_labels(n.min(8))
        .x_label_formatter(&|i| weeks.get(*i).cloned().unwrap_or_default())
        .y_label_formatter(&|v| v.to_string())
        .label_style((FONT, 13))
        .draw()?;
    for (k, s) in series.iter().enumerate() {
        let colour = if k == 0 { RECEIVED } else { CLOSED };
        let points: Vec<(usize, i64)> = s.values.iter().copied().enumerate().collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, colour.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Horizontal bars, one per label, longest lists cut to `max` rows.
pub fn bars(title: &str, labels: &[String], values: &[i64]) -> String {
    let mut out = String::new();
    if let Err(e) = draw_bars(&mut out, title, labels, values) {
        tracing::warn!(error = %e, "bar chart failed");
        return String::new();
    }
    out
}

fn draw_bars(
    out: &mut String,
    title: &str,
    labels: &[String],
    values: &[i64],
) -> Result<(), Box<dyn std::error::Error>> {
    let n = labels.len().max(1);
    let top = values.iter().copied().max().unwrap_or(0).max(4);
    let height = (80 + 28 * n).min(900) as u32;
    let root = SVGBackend::with_string(out, (720, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(170)
        .build_cartesian_2d(0..top + top / 5 + 1, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .x_label_formatter(&|v| v.to_string())
        .label_style((FONT, 13))
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let mut r = Rectangle::new(
            [
                (0, SegmentValue::Exact(i)),
                (*v, SegmentValue::Exact(i + 1)),
            ],
            BAR.filled(),
        );
        r.set_margin(4, 4, 0, 0);
        r
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_the_cjk_font_and_escaped_text() {
        let weeks = vec!["11-02".to_string(), "11-09".to_string()];
        let svg = trend(
            "每周趋势 <&>",
            &weeks,
            &[
                Series {
                    label: "受理",
                    values: &[3, 5],
                },
                Series {
                    label: "办结",
                    values: &[1, 4],
                },
            ],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("viewBox"));
        assert!(svg.contains("Noto Sans CJK SC"));
        assert!(svg.contains("每周趋势 &lt;&amp;&gt;"), "{svg}");
        assert!(!svg.contains("<script"));
        let svg = bars("按类别", &["环境卫生".into(), "<b>".into()], &[2, 7]);
        assert!(
            svg.contains("环境卫生") && svg.contains("&lt;b&gt;"),
            "{svg}"
        );
    }
}
