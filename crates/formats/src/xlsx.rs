//! Writing workbooks the way offices expect them: bold header row frozen at
//! the top, columns wide enough for their content (CJK counts double), codes
//! and ID numbers as text so that Excel never turns them into 3.71702E+17.

use crate::{Error, Result};
use rust_xlsxwriter::{Color, Format, FormatBorder, Worksheet, XlsxError};

pub fn err(e: XlsxError) -> Error {
    Error::Write(e.to_string())
}

pub fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDD_EB_F7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
}

/// Text format `@`: what is typed into the column stays text.
pub fn text_format() -> Format {
    Format::new().set_num_format("@")
}

/// The width Excel needs to show `s`: CJK and full-width characters take two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// Tracks the widest value per column and applies the widths at the end.
#[derive(Debug, Clone)]
pub struct Widths(Vec<usize>);

impl Widths {
    pub fn new(headers: &[&str]) -> Widths {
        Widths(headers.iter().map(|h| display_width(h)).collect())
    }

    pub fn see(&mut self, col: usize, s: &str) {
        if let Some(w) = self.0.get_mut(col) {
            // Only the first characters decide; a long remark should not make
            // its column a screen wide.
            let n = if s.len() > 160 { 80 } else { display_width(s) };
            *w = (*w).max(n);
        }
    }

    pub fn apply(&self, ws: &mut Worksheet) -> Result<()> {
        for (i, w) in self.0.iter().enumerate() {
            let width = (*w as f64 + 2.0).clamp(6.0, 60.0);
            ws.set_column_width(i as u16, width).map_err(err)?;
        }
        Ok(())
    }
}

/// Writes a header row, bold and frozen.
pub fn header(ws: &mut Worksheet, headers: &[&str]) -> Result<()> {
    let fmt = header_format();
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &fmt)
            .map_err(err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    Ok(())
}
