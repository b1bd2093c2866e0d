//! A template per kind: the header row with a note on each header, an example
//! row (skipped by imports when left in), identifier columns formatted as text,
//! and a sheet explaining every column in Chinese and English.

use super::columns::{columns, Use};
use super::xlsx::{self, err, Widths};
use super::Kind;
use crate::error::Result;
use rust_xlsxwriter::{Note, Workbook};

/// Columns whose values are codes or numbers that must stay text.
pub const TEXT_COLUMNS: &[&str] = &[
    "id_number",
    "phone",
    "unit",
    "credit_code",
    "household",
    "number",
    "code",
    "parent_code",
    "org_credit_code",
    "room",
    "entrance",
];

pub fn template(kind: Kind) -> Result<Vec<u8>> {
    let cols: Vec<_> = columns(kind)
        .iter()
        .filter(|c| c.usage != Use::ExportOnly)
        .collect();
    let headers: Vec<String> = cols
        .iter()
        .map(|c| {
            if c.usage == Use::Required {
                format!("*{}", c.zh)
            } else {
                c.zh.to_string()
            }
        })
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(kind.label_zh()).map_err(err)?;
        xlsx::header(ws, &header_refs)?;
        let mut widths = Widths::new(&header_refs);
        let text = xlsx::text_format();
        for (i, c) in cols.iter().enumerate() {
            let col = i as u16;
            let note = Note::new(format!("{}\n{}", c.note_zh, c.note_en)).set_author("Wangge");
            ws.insert_note(0, col, &note).map_err(err)?;
            if TEXT_COLUMNS.contains(&c.key) {
                ws.set_column_format(col, &text).map_err(err)?;
            }
            if !c.example.is_empty() {
                ws.write_string_with_format(1, col, c.example, &text)
                    .map_err(err)?;
                widths.see(i, c.example);
            }
        }
        widths.apply(ws)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("填写说明").map_err(err)?;
        let general = [
            "一行一条记录;表头必须在第一行;不要合并单元格,不要添加标题行或合计行。",
            "One record per row; the header must be the first row; no merged cells, title rows or totals.",
            "第2行是示例,导入时会自动跳过;也可以删除。带*的列必填。",
            "Row 2 is an example and is skipped on import (or delete it). Columns marked * are required.",
            "身份证号、电话、代码等列已设为文本格式;从其他表格粘贴时请“粘贴为数值”,以免Excel改成3.71702E+17。",
            "ID numbers, phones and codes are formatted as text; when pasting, paste values, or Excel turns them into 3.71702E+17.",
            "日期可写为 2020-03-20、2020/3/20 或 2020年3月20日。重复导入同一文件不会重复登记;改动的行会更新原记录。",
            "Dates may be 2020-03-20, 2020/3/20 or 2020年3月20日. Importing a file again registers nothing twice; changed rows update the records.",
        ];
        for (i, l) in general.iter().enumerate() {
            ws.write_string(i as u32, 0, *l).map_err(err)?;
        }
        let top = general.len() as u32 + 1;
        let heads = [
            "列名",
            "Column",
            "必填 Required",
            "说明",
            "Notes",
            "示例 Example",
        ];
        let fmt = xlsx::header_format();
        for (i, h) in heads.iter().enumerate() {
            ws.write_string_with_format(top, i as u16, *h, &fmt)
                .map_err(err)?;
        }
        for (r, c) in columns(kind).iter().enumerate() {
            let r = top + 1 + r as u32;
            let req = match c.usage {
                Use::Required => "是 yes",
                Use::Optional => "否 no",
                Use::ExportOnly => "导出时填写 export only",
            };
            for (i, s) in [c.zh, c.en, req, c.note_zh, c.note_en, c.example]
                .iter()
                .enumerate()
            {
                ws.write_string(r, i as u16, *s).map_err(err)?;
            }
        }
        for (i, w) in [18.0, 22.0, 14.0, 60.0, 60.0, 22.0].iter().enumerate() {
            ws.set_column_width(i as u16, *w).map_err(err)?;
        }
    }
    Ok(wb.save_to_buffer().map_err(err)?)
}
