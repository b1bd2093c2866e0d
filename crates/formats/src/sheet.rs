//! Reading an uploaded file row by row, without holding it in memory: `.xlsx`
//! through calamine's streaming cell reader, `.csv` in UTF-8 (with or without
//! BOM), GBK/GB18030 or UTF-16 through `csv` and `encoding_rs`.
//!
//! What is read whole: an `.xlsx`'s shared-string table (calamine loads it when
//! it opens the workbook; Excel puts every distinct text of the workbook there),
//! so its size is capped below. CSV has no such table.
//!
//! Every file-level problem (empty file, not a workbook, zip bomb, merged cells,
//! no header) is refused before a row is looked at.

use crate::{file_error, Error, Result};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod delimited;
mod xlsx;

use delimited::scan_csv;
use xlsx::scan_xlsx;
pub use xlsx::{cell_name, column_letter};

/// One cell, whatever file it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A number formatted as a date in the workbook.
    Date(time::Date),
    /// An error value such as `#N/A`.
    Error(String),
    /// A formula; its cached value is not trusted: the importer refuses it.
    Formula,
    /// Text that did not decode in the file's encoding.
    BadEncoding,
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as plain text: trimmed, `None` when blank or not a value.
    /// Numbers are written without a spurious `.0`; dates as YYYY-MM-DD.
    pub fn plain_text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Cell::Number(f) => Some(number_text(*f)),
            Cell::Bool(b) => Some(if *b { "是" } else { "否" }.to_string()),
            Cell::Date(d) => Some(d.to_string()),
            Cell::Error(_) | Cell::Formula | Cell::BadEncoding => None,
        }
    }
}

/// Largest integer an f64 holds exactly: beyond it Excel has already rounded.
pub const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A number as a spreadsheet shows it: integers without `.0`.
pub fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < EXACT_INTEGER {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The encodings a CSV file may come in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    /// GBK and its superset GB18030 (what Excel in China writes for "CSV").
    Gb18030,
    Utf16le,
    Utf16be,
}

impl TextEncoding {
    pub fn parse(s: &str) -> Option<TextEncoding> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "utf8" => Some(TextEncoding::Utf8),
            "gbk" | "gb18030" | "gb2312" | "cp936" => Some(TextEncoding::Gb18030),
            "utf16" | "utf16le" => Some(TextEncoding::Utf16le),
            "utf16be" => Some(TextEncoding::Utf16be),
            _ => None,
        }
    }

    fn encoding(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            TextEncoding::Utf8 => None,
            TextEncoding::Gb18030 => Some(encoding_rs::GB18030),
            TextEncoding::Utf16le => Some(encoding_rs::UTF_16LE),
            TextEncoding::Utf16be => Some(encoding_rs::UTF_16BE),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv(TextEncoding),
    Xlsx,
}

/// Limits that keep a hostile or broken file from exhausting the machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest uncompressed part of an `.xlsx` (the sheet of a million rows is
    /// about 0.6 GiB).
    pub max_part: u64,
    /// Largest uncompressed shared-string table (loaded whole by calamine).
    pub max_shared_strings: u64,
    /// Largest compression ratio for a part above `ratio_floor` bytes: sheet
    /// XML compresses about 10:1, a zip bomb by thousands.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_part: 4 << 30,
            max_shared_strings: 256 << 20,
            max_ratio: 200,
            ratio_floor: 16 << 20,
            max_columns: 256,
        }
    }
}

/// A file ready to be read, after its kind and encoding were found.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub format: Format,
    pub size: u64,
    pub limits: Limits,
}

/// The header row: the first row that is not empty.
#[derive(Debug, Clone)]
pub struct Header {
    pub sheet: String,
    pub row: u64,
    pub cells: Vec<String>,
}

/// Receives the rows of a file, in order. Its own errors (a row the store
/// cannot take) stop the scan like the file's.
pub trait Visitor {
    type Error: From<Error>;
    fn header(&mut self, h: &Header) -> std::result::Result<(), Self::Error>;
    /// One non-empty row after the header: its row number (1-based, as the
    /// spreadsheet shows it) and its cells, as wide as the header.
    fn row(&mut self, row: u64, cells: &[Cell]) -> std::result::Result<(), Self::Error>;
}

/// Finds what a file is. `encoding` overrides the detection for CSV.
pub fn open(path: &Path, encoding: Option<TextEncoding>, limits: Limits) -> Result<Source> {
    let mut f = File::open(path).map_err(|e| {
        file_error(
            "file_unreadable",
            format!("无法读取文件:{e}"),
            format!("cannot read the file: {e}"),
        )
    })?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(file_error(
            "file_empty",
            "文件是空的(0字节)",
            "the file is empty (0 bytes)",
        ));
    }
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut f, &mut head)?;
    head.truncate(n);
    let format = sniff(&head, encoding)?;
    Ok(Source {
        path: path.to_path_buf(),
        format,
        size,
        limits,
    })
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(file_error(
                    "file_unreadable",
                    format!("无法读取文件:{e}"),
                    format!("cannot read the file: {e}"),
                ))
            }
        }
    }
    Ok(n)
}

fn sniff(head: &[u8], encoding: Option<TextEncoding>) -> Result<Format> {
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(file_error(
            "old_excel_format",
            "这是旧版Excel(.xls)或WPS格式的文件;请在Excel/WPS中“另存为”.xlsx或CSV后再导入",
            "this is an old Excel (.xls) or WPS file; save it as .xlsx or CSV and import that",
        ));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(Format::Csv(TextEncoding::Utf8));
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok(Format::Csv(TextEncoding::Utf16le));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok(Format::Csv(TextEncoding::Utf16be));
    }
    let binary = head.contains(&0) || head.starts_with(b"%PDF") || head.starts_with(b"\x89PNG");
    if binary {
        return Err(not_a_table());
    }
    if let Some(e) = encoding {
        return Ok(Format::Csv(e));
    }
    // Valid UTF-8 (a sequence cut at the end of the sample is fine) is UTF-8;
    // anything else is what Excel in China writes: GBK/GB18030.
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    Ok(Format::Csv(if utf8 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Gb18030
    }))
}

fn not_a_table() -> Error {
    file_error(
        "not_a_table",
        "文件既不是Excel工作簿(.xlsx),也不是CSV表格",
        "the file is neither an Excel workbook (.xlsx) nor a CSV table",
    )
}

/// Reads every row of the file into `v`. `read` counts the bytes read so far.
/// In a workbook the sheet is the first with one of `sheet_names`, else the
/// first visible one.
pub fn scan<V: Visitor>(
    src: &Source,
    sheet_names: &[&str],
    read: &Arc<AtomicU64>,
    v: &mut V,
) -> std::result::Result<(), V::Error> {
    match src.format {
        Format::Xlsx => scan_xlsx(src, sheet_names, read, v),
        Format::Csv(enc) => scan_csv(src, enc, read, v),
    }
}

/// Collects rows into `Visitor` calls: skips empty rows, takes the first
/// non-empty one as the header, cuts rows to the header's width.
struct Rows<'a, V> {
    v: &'a mut V,
    sheet: String,
    header_width: Option<usize>,
    max_columns: usize,
}

impl<V: Visitor> Rows<'_, V> {
    fn emit(&mut self, row: u64, cells: &mut Vec<Cell>) -> std::result::Result<(), V::Error> {
        if cells.iter().all(Cell::is_blank) {
            return Ok(());
        }
        match self.header_width {
            None => {
                while cells.last().is_some_and(Cell::is_blank) {
                    cells.pop();
                }
                if cells.len() > self.max_columns {
                    return Err(V::Error::from(file_error(
                        "too_many_columns",
                        format!(
                            "表头有{}列,超过上限{}列;请删除多余的列",
                            cells.len(),
                            self.max_columns
                        ),
                        format!(
                            "the header has {} columns, more than the limit of {}; delete the extra columns",
                            cells.len(),
                            self.max_columns
                        ),
                    )));
                }
                let texts = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.trim().to_string(),
                        Cell::Empty => String::new(),
                        other => other.plain_text().unwrap_or_default(),
                    })
                    .collect();
                self.header_width = Some(cells.len());
                self.v.header(&Header {
                    sheet: self.sheet.clone(),
                    row,
                    cells: texts,
                })
            }
            Some(w) => {
                cells.resize(w, Cell::Empty);
                self.v.row(row, cells)
            }
        }
    }
}

/// Counts how far into the file the zip reader is, for progress.
struct Counting<R> {
    inner: R,
    pos: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let p = self.inner.seek(to)?;
        self.pos.store(p, Ordering::Relaxed);
        Ok(p)
    }
}

fn damaged(e: impl std::fmt::Display) -> Error {
    file_error(
        "not_a_workbook",
        format!("文件不是有效的Excel工作簿(.xlsx),可能已损坏:{e}"),
        format!("the file is not a valid Excel workbook (.xlsx); it may be damaged: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(
            sniff(b"\xEF\xBB\xBFa,b", None).unwrap(),
            Format::Csv(TextEncoding::Utf8)
        );
        assert_eq!(
            sniff("姓名,身份证号".as_bytes(), None).unwrap(),
            Format::Csv(TextEncoding::Utf8)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,身份证号");
        assert_eq!(
            sniff(&gbk, None).unwrap(),
            Format::Csv(TextEncoding::Gb18030)
        );
        assert!(sniff(b"\xD0\xCF\x11\xE0rest", None).is_err());
        assert!(sniff(b"%PDF-1.4\x00", None).is_err());
    }
}
