//! `.xlsx`: checked as an archive first (zip bombs, binary workbooks), then
//! its sheet streamed cell by cell through calamine.

use super::{damaged, not_a_table, Cell, Counting, Limits, Rows, Source, Visitor};
use crate::{file_error, Error, Result};
use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

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

pub(super) fn scan_xlsx<V: Visitor>(
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
}
