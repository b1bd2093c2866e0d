//! The report of rejected rows: a workbook whose first sheet holds the
//! rejected rows as the user wrote them, with the reasons in a last column
//! (which imports ignore), so it can be fixed and uploaded again as it is;
//! and a sheet listing every problem with sheet, row, column and reason in
//! Chinese and English.

use super::columns::REASON_HEADER;
use super::read::{self, Header, Source, Visitor};
use super::values::{self, Cell};
use super::xlsx::{self, err, Widths};
use super::{Issue, Kind};
use crate::ctx::{Ctx, CST};
use crate::error::Result;
use rust_xlsxwriter::{Workbook, Worksheet};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

struct Copier<'a> {
    ws: &'a mut Worksheet,
    by_row: &'a BTreeMap<u64, Vec<Issue>>,
    widths: Option<Widths>,
    out_row: u32,
    text: rust_xlsxwriter::Format,
}

fn shown(c: &Cell) -> String {
    match c {
        Cell::Formula => "(公式/formula)".to_string(),
        Cell::Error(e) => e.clone(),
        Cell::BadEncoding => "(?)".to_string(),
        other => values::text(other).ok().flatten().unwrap_or_default(),
    }
}

fn reasons(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| match &i.column {
            Some(c) => format!("{c}:{} / {}", i.message_zh, i.message_en),
            None => format!("{} / {}", i.message_zh, i.message_en),
        })
        .collect::<Vec<_>>()
        .join(";\n")
}

impl Visitor for Copier<'_> {
    type Error = crate::error::Error;

    fn header(&mut self, h: &Header) -> Result<()> {
        let mut headers: Vec<&str> = h.cells.iter().map(String::as_str).collect();
        headers.push(REASON_HEADER);
        xlsx::header(self.ws, &headers)?;
        self.widths = Some(Widths::new(&headers));
        Ok(())
    }

    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<()> {
        let Some(issues) = self.by_row.get(&row) else {
            return Ok(());
        };
        self.out_row += 1;
        let r = self.out_row;
        for (i, c) in cells.iter().enumerate() {
            let s = shown(c);
            if let Some(w) = &mut self.widths {
                w.see(i, &s);
            }
            self.ws
                .write_string_with_format(r, i as u16, s, &self.text)
                .map_err(err)?;
        }
        let why = reasons(issues);
        if let Some(w) = &mut self.widths {
            w.see(cells.len(), &why);
        }
        self.ws
            .write_string(r, cells.len() as u16, why)
            .map_err(err)?;
        Ok(())
    }
}

/// Builds the report from the source file and its problems, by row.
pub fn build(
    src: &Source,
    kind: Kind,
    ctx: &Ctx,
    by_row: &BTreeMap<u64, Vec<Issue>>,
    total: u64,
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name(kind.label_zh()).map_err(err)?;
        let mut copier = Copier {
            ws,
            by_row,
            widths: None,
            out_row: 0,
            text: xlsx::text_format(),
        };
        read::scan(
            src,
            kind.sheet_names(),
            &Arc::new(AtomicU64::new(0)),
            &mut copier,
        )?;
        if let Some(w) = copier.widths.take() {
            w.apply(copier.ws)?;
        }
    }
    {
        let ws = wb.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name("错误说明").map_err(err)?;
        let headers = [
            "工作表 Sheet",
            "行号 Row",
            "列 Column",
            "代码 Code",
            "错误原因",
            "Reason",
        ];
        xlsx::header(ws, &headers)?;
        let mut widths = Widths::new(&headers);
        let mut r = 0u32;
        for i in by_row.values().flatten() {
            r += 1;
            let cells = [
                i.sheet.clone(),
                i.row.to_string(),
                i.column.clone().unwrap_or_default(),
                i.code.clone(),
                i.message_zh.clone(),
                i.message_en.clone(),
            ];
            for (c, s) in cells.iter().enumerate() {
                widths.see(c, s);
                if c == 1 {
                    ws.write_number(r, 1, i.row as f64).map_err(err)?;
                } else {
                    ws.write_string(r, c as u16, s).map_err(err)?;
                }
            }
        }
        let listed: u64 = by_row.values().map(|v| v.len() as u64).sum();
        if total > listed {
            ws.write_string(
                r + 1,
                0,
                format!(
                    "另有{}个问题未列出(问题过多);请先改正以上问题后重新导入 / {} more problems not listed; fix these and import again",
                    total - listed,
                    total - listed
                ),
            )
            .map_err(err)?;
        }
        widths.apply(ws)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("说明").map_err(err)?;
        let now = ctx.now.to_offset(CST);
        let lines = [
            format!(
                "导入错误报告 / import report — {} ({})",
                kind.label_zh(),
                kind.as_str()
            ),
            format!(
                "生成时间 / made at: {:04}-{:02}-{:02} {:02}:{:02} (北京时间 / Beijing time)",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute()
            ),
            "第一个工作表是被拒绝的行(按原样),最后一列是原因;改正后可直接再次导入本文件,原因列会被忽略。".to_string(),
            "The first sheet holds the rejected rows as they were, with the reasons in the last column; fix them and import this file again: the reason column is ignored.".to_string(),
            "“错误说明”工作表按原文件的行号列出每个问题。/ The sheet 错误说明 lists every problem by the row number of the original file.".to_string(),
        ];
        for (i, l) in lines.iter().enumerate() {
            ws.write_string(i as u32, 0, l).map_err(err)?;
        }
        ws.set_column_width(0, 120).map_err(err)?;
    }
    Ok(wb.save_to_buffer().map_err(err)?)
}
