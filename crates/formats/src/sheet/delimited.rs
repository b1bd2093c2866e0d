//! CSV: transcoded to UTF-8 as it is read, its delimiter guessed from the
//! first line.

use super::{damaged, Cell, Counting, Rows, Source, TextEncoding, Visitor};
use crate::{file_error, Result};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

pub(super) fn scan_csv<V: Visitor>(
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
    fn decoding_reader_transcodes_across_buffer_edges() {
        let text = "姓名,电话\n".repeat(20_000);
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        let mut out = String::new();
        Decoding::new(&gbk[..], encoding_rs::GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn delimiters() {
        assert_eq!(delimiter("a\tb\tc"), b'\t');
        assert_eq!(delimiter("a,b"), b',');
        assert_eq!(delimiter("abc"), b',');
    }
}
