//! What an upload really is, from its first bytes: the name and the type the
//! client declared are not trusted (an executable renamed `.jpg` must not pass).

/// The kinds of content that are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Accepted {
    pub fn mime(self) -> &'static str {
        match self {
            Accepted::Jpeg => "image/jpeg",
            Accepted::Png => "image/png",
            Accepted::Webp => "image/webp",
            Accepted::Pdf => "application/pdf",
        }
    }
}

/// The content, when it is not one of the accepted kinds: what it looks like,
/// in Chinese and English, so that the refusal can say what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub zh: &'static str,
    pub en: &'static str,
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Sorts `b` by its magic number. Only the four accepted signatures pass; the
/// others are named only to make the refusal helpful.
pub fn detect(b: &[u8]) -> Result<Accepted, Refused> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Accepted::Jpeg);
    }
    if b.starts_with(PNG_MAGIC) {
        return Ok(Accepted::Png);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Ok(Accepted::Webp);
    }
    if b.starts_with(b"%PDF-") {
        return Ok(Accepted::Pdf);
    }
    Err(refused(b))
}

fn refused(b: &[u8]) -> Refused {
    let r = |zh, en| Refused { zh, en };
    // ISO base media files (HEIC from iPhones, AVIF, MP4/MOV) carry their
    // brand after "ftyp" at offset 4.
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return match &b[8..12] {
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                r("HEIC/HEIF 图片", "a HEIC/HEIF image")
            }
            b"avif" | b"avis" => r("AVIF 图片", "an AVIF image"),
            _ => r("视频文件", "a video file"),
        };
    }
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(b"\x7fELF") {
        r("ELF 可执行文件", "an ELF executable")
    } else if starts(b"MZ") {
        r("Windows 可执行文件", "a Windows executable")
    } else if starts(&[0xCF, 0xFA, 0xED, 0xFE])
        || starts(&[0xCE, 0xFA, 0xED, 0xFE])
        || starts(&[0xCA, 0xFE, 0xBA, 0xBE])
    {
        r("macOS 可执行文件", "a macOS executable")
    } else if starts(b"#!") {
        r("脚本", "a script")
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        r(
            "ZIP 压缩包或 Office 文档",
            "a ZIP archive or Office document",
        )
    } else if starts(b"Rar!") || starts(b"7z\xBC\xAF\x27\x1C") || starts(&[0x1F, 0x8B]) {
        r("压缩包", "a compressed archive")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        r("GIF 图片", "a GIF image")
    } else if starts(b"BM") {
        r("BMP 图片", "a BMP image")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        r("TIFF 图片", "a TIFF image")
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0]) {
        r("旧版 Office 文档", "a legacy Office document")
    } else if looks_like_markup(b) {
        r("HTML/SVG/XML 文本", "HTML, SVG or XML text")
    } else {
        r("无法识别的内容", "unrecognised content")
    }
}

/// Text that opens with `<` after optional whitespace or a byte-order mark:
/// markup, which a browser might run as a page, so it is worth naming.
fn looks_like_markup(b: &[u8]) -> bool {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

/// A PDF ends with `%%EOF` (allowing a little trailing junk that some
/// producers add); one without it was cut off in transfer.
pub fn pdf_complete(b: &[u8]) -> bool {
    let tail = &b[b.len().saturating_sub(1024)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_magic_not_by_name() {
        assert_eq!(detect(b"\xFF\xD8\xFF\xE0rest"), Ok(Accepted::Jpeg));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\nrest"), Ok(Accepted::Png));
        assert_eq!(detect(b"RIFF\0\0\0\0WEBPVP8 "), Ok(Accepted::Webp));
        assert_eq!(detect(b"%PDF-1.7\n"), Ok(Accepted::Pdf));
        assert_eq!(
            detect(b"\x7fELF\x02\x01").unwrap_err().en,
            "an ELF executable"
        );
        assert_eq!(detect(b"MZ\x90\0").unwrap_err().en, "a Windows executable");
        assert_eq!(
            detect(b"\0\0\0\x18ftypheic\0\0").unwrap_err().en,
            "a HEIC/HEIF image"
        );
        assert_eq!(
            detect(b"  <svg onload=x>").unwrap_err().en,
            "HTML, SVG or XML text"
        );
        assert_eq!(detect(b"RIFF").unwrap_err().en, "unrecognised content");
        assert_eq!(detect(b"").unwrap_err().en, "unrecognised content");
    }

    #[test]
    fn pdf_needs_its_end_marker() {
        assert!(pdf_complete(b"%PDF-1.4\n...\n%%EOF\n"));
        assert!(!pdf_complete(b"%PDF-1.4\n... cut off"));
    }
}
