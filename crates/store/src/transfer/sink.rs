//! Where export rows go: a constant-memory worksheet (bold frozen header,
//! fitted widths, a second sheet with the filter and time of export) or a CSV
//! file (UTF-8 with BOM, or GBK). Registry and case exports share it.

use super::read::TextEncoding;
use super::xlsx::{self, err, Widths};
use super::ExportFormat;
use crate::ctx::{Ctx, CST};
use crate::error::{Error, Result};
use rust_xlsxwriter::Workbook;
use std::io::Write;
use std::path::Path;

/// One cell of an export row.
pub enum Out {
    Text(String),
    Number(f64),
}

impl Out {
    pub fn text(s: impl Into<String>) -> Out {
        Out::Text(s.into())
    }
    pub fn opt(s: Option<impl Into<String>>) -> Out {
        Out::Text(s.map(Into::into).unwrap_or_default())
    }
    fn as_text(&self) -> String {
        match self {
            Out::Text(s) => s.clone(),
            Out::Number(n) => format!("{n}"),
        }
    }
}

pub(super) enum Sink {
    Xlsx {
        wb: Box<Workbook>,
        widths: Widths,
        row: u32,
    },
    Csv {
        file: Box<std::io::BufWriter<std::fs::File>>,
        buf: Box<csv::Writer<Vec<u8>>>,
        gbk: bool,
    },
}

fn io_err(e: std::io::Error) -> Error {
    Error::Db(format!("cannot write the export: {e}"))
}

impl Sink {
    pub(super) fn new(
        format: ExportFormat,
        encoding: TextEncoding,
        out: &Path,
        sheet: &str,
        headers: &[&str],
    ) -> Result<Sink> {
        match format {
            ExportFormat::Xlsx => {
                let mut wb = Box::new(Workbook::new());
                let ws = wb.add_worksheet_with_constant_memory().map_err(err)?;
                ws.set_name(sheet).map_err(err)?;
                xlsx::header(ws, headers)?;
                Ok(Sink::Xlsx {
                    wb,
                    widths: Widths::new(headers),
                    row: 0,
                })
            }
            ExportFormat::Csv => {
                let f = std::fs::File::create(out).map_err(io_err)?;
                let mut file = std::io::BufWriter::new(f);
                let gbk = encoding == TextEncoding::Gb18030;
                if !gbk {
                    file.write_all(b"\xEF\xBB\xBF").map_err(io_err)?;
                }
                let mut s = Sink::Csv {
                    file: Box::new(file),
                    buf: Box::new(csv::Writer::from_writer(Vec::new())),
                    gbk,
                };
                let row: Vec<Out> = headers.iter().map(|h| Out::text(*h)).collect();
                s.row(&row)?;
                Ok(s)
            }
        }
    }

    pub(super) fn row(&mut self, cells: &[Out]) -> Result<()> {
        match self {
            Sink::Xlsx { wb, widths, row } => {
                *row += 1;
                let ws = wb.worksheet_from_index(0).map_err(err)?;
                for (i, c) in cells.iter().enumerate() {
                    match c {
                        Out::Text(s) if s.is_empty() => {}
                        Out::Text(s) => {
                            widths.see(i, s);
                            ws.write_string(*row, i as u16, s).map_err(err)?;
                        }
                        Out::Number(n) => {
                            widths.see(i, &format!("{n}"));
                            ws.write_number(*row, i as u16, *n).map_err(err)?;
                        }
                    }
                }
                Ok(())
            }
            Sink::Csv { file, buf, gbk } => {
                // A value that starts like a formula is prefixed with ', so a
                // spreadsheet shows it instead of running it (imports strip it).
                let fields: Vec<String> = cells
                    .iter()
                    .map(|c| {
                        let s = c.as_text();
                        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                            format!("'{s}")
                        } else {
                            s
                        }
                    })
                    .collect();
                buf.write_record(&fields)
                    .map_err(|e| Error::Db(format!("cannot write the export: {e}")))?;
                buf.flush().map_err(io_err)?;
                let bytes = std::mem::replace(&mut **buf, csv::Writer::from_writer(Vec::new()))
                    .into_inner()
                    .map_err(|e| Error::Db(format!("cannot write the export: {e}")))?;
                if *gbk {
                    let text = String::from_utf8_lossy(&bytes);
                    let (encoded, _, _) = encoding_rs::GB18030.encode(&text);
                    file.write_all(&encoded).map_err(io_err)?;
                } else {
                    file.write_all(&bytes).map_err(io_err)?;
                }
                Ok(())
            }
        }
    }

    pub(super) fn finish(self, out: &Path, info: &[(String, String)]) -> Result<()> {
        match self {
            Sink::Xlsx { mut wb, widths, .. } => {
                widths.apply(wb.worksheet_from_index(0).map_err(err)?)?;
                let ws = wb.add_worksheet();
                ws.set_name("导出信息").map_err(err)?;
                let fmt = xlsx::header_format();
                for (i, (k, v)) in info.iter().enumerate() {
                    ws.write_string_with_format(i as u32, 0, k, &fmt)
                        .map_err(err)?;
                    ws.write_string(i as u32, 1, v).map_err(err)?;
                }
                ws.set_column_width(0, 28).map_err(err)?;
                ws.set_column_width(1, 80).map_err(err)?;
                Ok(wb.save(out).map_err(err)?)
            }
            Sink::Csv { mut file, .. } => file.flush().map_err(io_err),
        }
    }
}

/// "2026-11-24 10:00:00 北京时间 (UTC+8)": when an export was made, as the
/// zone reads it.
pub(super) fn exported_at(ctx: &Ctx) -> String {
    let now = ctx.now.to_offset(CST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} 北京时间 (UTC+8)",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}
