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
use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

// ---------------------------------------------------------------------------
// XLSX

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

/// Refuses archives whose parts would inflate beyond the limits, before any is
/// decompressed. The zip reader then stops any part at its declared size, so a
/// part that lies about its size cannot inflate further either.
fn check_archive(path: &Path, limits: &Limits) -> Result<()> {
    let f = File::open(path).map_err(damaged)?;
    let zip = zip::ZipArchive::new(BufReader::new(f)).map_err(damaged)?;
    if zip.len() > 10_000 {
        return Err(damaged(format!("{} parts", zip.len())));
    }
    let mut workbook = None;
    for i in 0..zip.len() {
        let e = zip.by_index_data(i).map_err(damaged)?;
        let name = e.name().map_err(damaged)?.to_string();
        let (size, packed) = (e.size(), e.compressed_size().max(1));
        if name == "xl/workbook.xml" {
            workbook = Some("xml");
        } else if name == "xl/workbook.bin" {
            workbook = Some("bin");
        }
        let bomb = size > limits.max_part
            || (size > limits.ratio_floor && size / packed > limits.max_ratio);
        if bomb {
            return Err(file_error(
                "zip_bomb",
                format!(
                    "工作簿中的“{name}”解压后有{}MB(压缩比{}:1),超出安全上限;文件可能被恶意构造,已拒绝",
                    size >> 20,
                    size / packed
                ),
                format!(
                    "the workbook part '{name}' inflates to {} MB (ratio {}:1), beyond the safe limit; the file was refused",
                    size >> 20,
                    size / packed
                ),
            ));
        }
        if name.ends_with("sharedStrings.xml") && size > limits.max_shared_strings {
            return Err(file_error(
                "too_many_strings",
                format!(
                    "工作簿的共享文本表有{}MB,超出上限{}MB;请“另存为”CSV(UTF-8)后再导入",
                    size >> 20,
                    limits.max_shared_strings >> 20
                ),
                format!(
                    "the workbook's shared-string table is {} MB, above the {} MB limit; save the sheet as CSV (UTF-8) and import that",
                    size >> 20,
                    limits.max_shared_strings >> 20
                ),
            ));
        }
    }
    match workbook {
        Some("xml") => Ok(()),
        Some(_) => Err(file_error(
            "xlsb_format",
            "这是Excel二进制工作簿(.xlsb);请“另存为”.xlsx后再导入",
            "this is a binary Excel workbook (.xlsb); save it as .xlsx and import that",
        )),
        None => Err(not_a_table()),
    }
}

fn xlsx_error(e: calamine::XlsxError) -> Error {
    match e {
        calamine::XlsxError::Password => file_error(
            "password_protected",
            "工作簿有密码保护;请在Excel中取消密码后再导入",
            "the workbook is password-protected; remove the password in Excel and import again",
        ),
        other => damaged(other),
    }
}

/// The worksheet with one of `wanted`'s names (人员, people …), else the first visible one.
fn choose_sheet<RS: Read + Seek>(wb: &Xlsx<RS>, wanted: &[&str]) -> Result<String> {
    let sheets: Vec<_> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .collect();
    if let Some(s) = sheets.iter().find(|s| wanted.contains(&s.name.trim())) {
        return Ok(s.name.clone());
    }
    sheets
        .iter()
        .find(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            file_error(
                "no_worksheet",
                "工作簿中没有可见的工作表",
                "the workbook has no visible worksheet",
            )
        })
}

/// "A1" for a zero-based (row, column).
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_letter(col as usize), row + 1)
}

/// "A", "B", … "Z", "AA" for a zero-based column.
pub fn column_letter(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn convert(v: DataRef<'_>) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Int(i) => Cell::Number(i as f64),
        DataRef::Float(f) => Cell::Number(f),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            time::Month::try_from(m)
                .ok()
                .and_then(|m| time::Date::from_calendar_date(i32::from(y), m, day).ok())
                .map_or(Cell::Number(d.as_f64()), Cell::Date)
        }
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn scan_xlsx<V: Visitor>(
    src: &Source,
    sheet_names: &[&str],
    read: &Arc<AtomicU64>,
    v: &mut V,
) -> std::result::Result<(), V::Error> {
    check_archive(&src.path, &src.limits)?;
    let f = File::open(&src.path).map_err(damaged)?;
    let counting = Counting {
        inner: BufReader::with_capacity(256 * 1024, f),
        pos: read.clone(),
    };
    let mut wb: Xlsx<_> = Xlsx::new(counting).map_err(xlsx_error)?;
    let sheet = choose_sheet(&wb, sheet_names)?;
    // Merged cells sit at the end of the sheet's XML: this is one streaming pass
    // over the sheet before the rows are read.
    let merged = wb.merge_cells_by_sheet_name(&sheet).map_err(xlsx_error)?;
    if !merged.is_empty() {
        let shown: Vec<String> = merged
            .iter()
            .take(5)
            .map(|d| {
                format!(
                    "{}:{}",
                    cell_name(d.start.0, d.start.1),
                    cell_name(d.end.0, d.end.1)
                )
            })
            .collect();
        let more = if merged.len() > 5 { " …" } else { "" };
        return Err(V::Error::from(file_error(
            "merged_cells",
            format!(
                "工作表“{sheet}”有{}处合并单元格({}{more});导入的表格须一行一条记录、第一行是表头:\
                 请删除标题行并“取消合并单元格”后再导入",
                merged.len(),
                shown.join("、")
            ),
            format!(
                "sheet '{sheet}' has {} merged cell ranges ({}{more}); an import needs one record per row \
                 under a single header row: delete title rows and unmerge the cells",
                merged.len(),
                shown.join(", ")
            ),
        )));
    }
    let max_columns = src.limits.max_columns;
    let mut cells = wb.worksheet_cells_reader(&sheet).map_err(xlsx_error)?;
    let mut rows = Rows {
        v,
        sheet: sheet.clone(),
        header_width: None,
        max_columns,
    };
    let mut current: Option<u32> = None;
    let mut buf: Vec<Cell> = Vec::new();
    while let Some(c) = cells.next_cell_with_formula().map_err(xlsx_error)? {
        let (r, col) = c.pos;
        if current != Some(r) {
            if let Some(prev) = current {
                rows.emit(u64::from(prev) + 1, &mut buf)?;
            }
            buf.clear();
            current = Some(r);
        }
        let col = col as usize;
        let limit = rows.header_width.unwrap_or(max_columns + 1);
        if col >= limit {
            continue;
        }
        let cell = if c.formula.is_some() {
            Cell::Formula
        } else {
            convert(c.value)
        };
        if cell == Cell::Empty {
            continue;
        }
        if buf.len() <= col {
            buf.resize(col + 1, Cell::Empty);
        }
        buf[col] = cell;
    }
    if let Some(prev) = current {
        rows.emit(u64::from(prev) + 1, &mut buf)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// CSV

/// Transcodes a byte stream to UTF-8 as it is read.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// The decoder was told the input ended; it must not be used again.
    finished: bool,
    out: Vec<u8>,
    out_start: usize,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, enc: &'static encoding_rs::Encoding) -> Self {
        Decoding {
            inner,
            decoder: enc.new_decoder_with_bom_removal(),
            input: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            out: Vec::with_capacity(200 * 1024),
            out_start: 0,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_start >= self.out.len() {
            self.out.clear();
            self.out_start = 0;
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            if self.eof && self.start == self.end {
                if self.finished {
                    return Ok(0);
                }
                self.finished = true;
                let mut tail = [0u8; 16];
                let (_, _, written, _) = self.decoder.decode_to_utf8(&[], &mut tail, true);
                self.out.extend_from_slice(&tail[..written]);
                if self.out.is_empty() {
                    return Ok(0);
                }
                break;
            }
            let cap = self.input.len() * 3 + 16;
            self.out.resize(cap, 0);
            let (_, used, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.start..self.end],
                &mut self.out,
                false,
            );
            self.start += used;
            self.out.truncate(written);
        }
        let n = buf.len().min(self.out.len() - self.out_start);
        buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

/// The delimiter that splits the first line into the most fields.
fn delimiter(first_line: &str) -> u8 {
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .filter(|d| first_line.bytes().any(|b| b == *d))
        .unwrap_or(b',')
}

fn scan_csv<V: Visitor>(
    src: &Source,
    enc: TextEncoding,
    read: &Arc<AtomicU64>,
    v: &mut V,
) -> std::result::Result<(), V::Error> {
    let open = || -> Result<Box<dyn Read>> {
        let f = File::open(&src.path).map_err(damaged)?;
        let counting = Counting {
            inner: BufReader::with_capacity(256 * 1024, f),
            pos: read.clone(),
        };
        Ok(match enc.encoding() {
            Some(e) => Box::new(Decoding::new(counting, e)),
            None => Box::new(Decoding::new(counting, encoding_rs::UTF_8)),
        })
    };
    // The first line decides the delimiter (Excel's "Unicode text" uses tabs).
    let mut first = String::new();
    {
        let mut r = BufReader::new(open()?);
        let _ = io::BufRead::read_line(&mut r, &mut first);
    }
    read.store(0, Ordering::Relaxed);
    // The reader's line count lags one line behind when lines end in "\r\n"
    // (as Excel writes them), so such files are split at "\n" alone and the
    // '\r' left on each line's last field is dropped below.
    let crlf = first.ends_with("\r\n");
    let terminator = match crlf {
        true => csv::Terminator::Any(b'\n'),
        false => csv::Terminator::CRLF,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&first))
        .terminator(terminator)
        .from_reader(open()?);
    let mut rows = Rows {
        v,
        sheet: "CSV".to_string(),
        header_width: None,
        max_columns: src.limits.max_columns,
    };
    let mut record = csv::ByteRecord::new();
    let mut buf: Vec<Cell> = Vec::new();
    loop {
        let more = csv.read_byte_record(&mut record).map_err(|e| {
            file_error(
                "csv_malformed",
                format!("CSV文件格式有误:{e}"),
                format!("the CSV file is malformed: {e}"),
            )
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        buf.clear();
        let width = rows.header_width.unwrap_or(usize::MAX);
        let last = record.len().saturating_sub(1);
        for (k, field) in record.iter().enumerate().take(width) {
            let field = match crlf && k == last {
                true => field.strip_suffix(b"\r").unwrap_or(field),
                false => field,
            };
            buf.push(csv_cell(field));
        }
        rows.emit(line, &mut buf)?;
    }
    Ok(())
}

/// A CSV field as a cell. A leading `'` that protects a value from being read
/// as a formula (as Wangge's own CSV exports write it) is removed.
fn csv_cell(field: &[u8]) -> Cell {
    let s = String::from_utf8_lossy(field);
    if s.contains('\u{FFFD}') {
        return Cell::BadEncoding;
    }
    if s.is_empty() {
        return Cell::Empty;
    }
    let s = match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
        _ => s.into_owned(),
    };
    Cell::Text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

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
        assert_eq!(delimiter("a\tb\tc"), b'\t');
        assert_eq!(delimiter("a,b"), b',');
        assert_eq!(delimiter("abc"), b',');
    }

    #[test]
    fn decoding_reader_transcodes_across_buffer_edges() {
        let text = "姓名,电话\n".repeat(20_000);
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        let mut out = String::new();
        Decoding::new(&gbk[..], encoding_rs::GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }
}
