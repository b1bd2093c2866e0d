//! Attachments: what is accepted and what is refused (by content, not name),
//! what the copies shown to others keep of a photo (its orientation) and lose
//! (its EXIF location and device data), content-addressed storage sealed on
//! disk, and the table: linking, and relinking on a merge without losing
//! anything.

use crate::common::*;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, GenericImageView, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use wangge_core::auth::Role;
use wangge_store::attachments::{
    self, AttachmentInfo, AttachmentStore, Kind, Owner, Stored, DEFAULT_MAX_BYTES, THUMBNAIL_SIDE,
};
use wangge_store::crypto::{self, Keys};
use wangge_store::{Ctx, Error, Result};
use wangge_testkit::temp_dir;

/// An attachment directory of its own, removed afterwards.
struct Files {
    store: AttachmentStore,
}

impl Files {
    fn new() -> Files {
        Files {
            store: AttachmentStore::new(
                temp_dir().join("files"),
                Arc::new(Keys::from_secret(&[5; 32])),
            ),
        }
    }

    /// Every file under the directory (temporary files included).
    fn count(&self) -> usize {
        fn walk(p: &Path, n: &mut usize) {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, n);
                } else {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(&self.store.dir, &mut n);
        n
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if let Some(parent) = self.store.dir.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

// ---------------------------------------------------------------------------
// Test images, made here

/// The make of the camera in the test photo's EXIF: must never reach others.
const MAKE: &[u8] = b"SECRETCAM";
/// The GPS latitude's rationals in the test photo's EXIF: 35/1, 14/1.
const GPS_LATITUDE: &[u8] = &[35, 0, 0, 0, 1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0];

/// A TIFF (EXIF) block, little-endian: IFD0 with Make, Orientation and a
/// pointer to a GPS IFD holding latitude 35°14'30" N.
fn exif_block(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_le_bytes());
        t.extend(typ.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value);
    };
    // IFD0 at 8: 3 entries, ends at 8 + 2 + 36 + 4 = 50; Make's text at 50..60;
    // the GPS IFD at 60: 2 entries, ends at 60 + 2 + 24 + 4 = 90; latitude at 90.
    t.extend(3u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, 10, 50u32.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 60u32.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    assert_eq!(t.len(), 50);
    t.extend(MAKE);
    t.push(0);
    assert_eq!(t.len(), 60);
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 90u32.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    assert_eq!(t.len(), 90);
    for (num, den) in [(35u32, 1u32), (14, 1), (3000, 100)] {
        t.extend(num.to_le_bytes());
        t.extend(den.to_le_bytes());
    }
    t
}

/// A `w`×`h` photo whose top-left quarter is red and the rest blue.
fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 2 && y < h / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

/// Pixels that do not compress (a linear congruential generator).
fn noise(w: u32, h: u32) -> RgbImage {
    let mut state = 12345u32;
    RgbImage::from_fn(w, h, |_, _| {
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8
        };
        Rgb([next(), next(), next()])
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// `jpeg` with an APP1 Exif segment spliced in after the JFIF header, as a
/// phone camera writes it.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[0..2], &[0xFF, 0xD8]);
    let mut at = 2;
    if jpeg[2..4] == [0xFF, 0xE0] {
        at = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let mut seg = vec![0xFF, 0xE1];
    seg.extend(u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    seg.extend(b"Exif\0\0");
    seg.extend(tiff);
    let mut out = jpeg[..at].to_vec();
    out.extend(seg);
    out.extend(&jpeg[at..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn png_rgba(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgba([0, 128, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(&img, w, h, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A few dozen bytes of PNG whose header claims `w`×`h` RGBA pixels: what a
/// decompression bomb looks like before its pixel data is inflated.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of zeros: deflates enormously, which is the point of a bomb.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0x00, 0x00, 0x00, 0xC2],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

#[track_caller]
fn refused_with(r: Result<Stored>, code: &str) -> String {
    let e = refused(r, code);
    assert_eq!(field(&e), "file");
    messages(&e)
}

// ---------------------------------------------------------------------------
// Files

#[test]
fn a_photo_is_turned_upright_and_stripped_of_its_exif() {
    let files = Files::new();
    let original = with_exif(&jpeg(&photo(40, 60)), &exif_block(6));
    // The input really carries what must not be shown.
    assert!(contains(&original, b"Exif\0\0") && contains(&original, MAKE));

    let s = files
        .store
        .put(&original, "IMG_0001.JPG", "image/jpeg")
        .unwrap();
    assert_eq!(s.kind, Kind::Image);
    assert_eq!(s.content_type, "image/jpeg");
    assert_eq!(s.original_type, "image/jpeg");
    assert_eq!(s.file_name, "IMG_0001.jpg");
    // Orientation 6 (rotate 90° clockwise): 40×60 as stored, 60×40 upright.
    assert_eq!((s.width, s.height), (Some(60), Some(40)));
    assert_eq!(s.original_size, original.len() as u64);

    let info = info_of(&s);
    let display = attachments::open_display(&files.store, &info).unwrap();
    assert_eq!(display.len() as u64, s.display_size);
    assert!(display.starts_with(&[0xFF, 0xD8, 0xFF]));
    for secret in [&b"Exif"[..], MAKE, b"II*\0", GPS_LATITUDE] {
        assert!(!contains(&display, secret), "display copy keeps {secret:?}");
    }
    let img = decode(&display);
    assert_eq!(img.dimensions(), (60, 40));
    // The red corner (top left as stored) is top right once turned clockwise.
    let red = |p: Rgba<u8>| p[0] > 150 && p[2] < 100;
    assert!(red(img.get_pixel(55, 5)), "{:?}", img.get_pixel(55, 5));
    assert!(!red(img.get_pixel(5, 5)), "{:?}", img.get_pixel(5, 5));

    let thumb = attachments::open_thumbnail(&files.store, &info).unwrap();
    for secret in [&b"Exif"[..], MAKE, b"II*\0", GPS_LATITUDE] {
        assert!(!contains(&thumb, secret), "thumbnail keeps {secret:?}");
    }
    let t = decode(&thumb);
    assert_eq!(t.dimensions(), (60, 40), "small images are not enlarged");
    assert!(thumb.len() < 4096, "thumbnail of {} bytes", thumb.len());
}

/// Mode bits of a file or folder (Unix only).
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn files_are_sealed_on_disk_private_and_unreadable_without_the_key() {
    let files = Files::new();
    // A folder an older version made readable by all is narrowed.
    std::fs::create_dir_all(&files.store.dir).unwrap();
    std::fs::set_permissions(
        &files.store.dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let original = with_exif(&jpeg(&photo(40, 60)), &exif_block(6));
    assert!(
        contains(&original, GPS_LATITUDE),
        "the test photo has a GPS block"
    );
    let s = files
        .store
        .put(&original, "IMG_0001.JPG", "image/jpeg")
        .unwrap();
    let thumb = s.thumbnail_sha256.clone().unwrap();
    assert_eq!(mode(&files.store.dir), 0o700);
    for sha in [&s.original_sha256, &s.display_sha256, &thumb] {
        let sealed = files.store.sealed_path(sha).unwrap();
        let on_disk = std::fs::read(&sealed).unwrap();
        for clear in [&b"Exif"[..], MAKE, GPS_LATITUDE, &[0xFF, 0xD8, 0xFF]] {
            assert!(
                !contains(&on_disk, clear),
                "{} holds {clear:?} in clear",
                sealed.display()
            );
        }
        assert!(!file_of(&files.store.dir, sha).exists(), "a copy in clear");
        assert_eq!(mode(&sealed), 0o600, "{}", sealed.display());
        assert_eq!(mode(sealed.parent().unwrap()), 0o700);
        assert_eq!(mode(sealed.parent().unwrap().parent().unwrap()), 0o700);
    }
    assert_eq!(files.count(), 3);
    // Whoever takes the folder without the key reads nothing.
    let info = info_of(&s);
    let stranger = AttachmentStore::new(
        files.store.dir.clone(),
        Arc::new(Keys::from_secret(&[6; 32])),
    );
    assert!(attachments::open_display(&stranger, &info).is_err());
    assert!(attachments::open_display(&files.store, &info).is_ok());
    // Nor can another database put the same content there and rely on it.
    let r = stranger.put(&original, "IMG_0001.JPG", "image/jpeg");
    assert!(
        matches!(&r, Err(Error::Db(m)) if m.contains("another database's")),
        "{r:?}"
    );
}

#[test]
fn files_kept_in_clear_before_sealing_are_still_served_and_sealed_by_a_rotation() {
    let dir = temp_dir();
    let key_path = dir.join("k.key");
    let keys = Arc::new(Keys::load_or_create(&key_path, true).unwrap());
    let files = AttachmentStore::new(dir.join("files"), keys.clone());
    // A PDF stored by an older version: in clear under its hash, 0644.
    let sha = {
        let s = files.put(PDF, "old.pdf", "application/pdf").unwrap();
        let sealed = files.sealed_path(&s.display_sha256).unwrap();
        std::fs::remove_file(&sealed).unwrap();
        std::fs::write(file_of(&files.dir, &s.display_sha256), PDF).unwrap();
        s
    };
    let info = info_of(&sha);
    assert_eq!(attachments::open_display(&files, &info).unwrap(), PDF);
    // And a photo sealed under the first key.
    let photo_s = files
        .put(&jpeg(&photo(16, 16)), "p.jpg", "image/jpeg")
        .unwrap();
    assert_eq!(files.stale_files().unwrap(), 1, "the file in clear");

    // A rotation: the new key seals everything again, the clear file included.
    crypto::add_key(&key_path, &crypto::new_key().unwrap()).unwrap();
    keys.reload().unwrap();
    assert_eq!(files.stale_files().unwrap(), 4);
    assert_eq!(files.reseal_files().unwrap(), 4);
    assert_eq!(files.stale_files().unwrap(), 0);
    assert!(!file_of(&files.dir, &sha.display_sha256).exists());
    assert_eq!(files.reseal_files().unwrap(), 0, "nothing left to do");
    crypto::drop_old_keys(&key_path).unwrap();
    keys.reload().unwrap();
    assert_eq!(attachments::open_display(&files, &info).unwrap(), PDF);
    let p = info_of(&photo_s);
    assert_eq!(
        attachments::open_display(&files, &p).unwrap().len() as u64,
        photo_s.display_size
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_large_photo_gets_a_small_thumbnail_and_a_bounded_display_copy() {
    let files = Files::new();
    let big = jpeg(&photo(3000, 1000));
    let s = files.store.put(&big, "wide.jpg", "image/jpeg").unwrap();
    assert_eq!(
        (s.width, s.height),
        (Some(attachments::DISPLAY_SIDE), Some(853))
    );
    let info = info_of(&s);
    let t = decode(&attachments::open_thumbnail(&files.store, &info).unwrap());
    assert_eq!(t.width(), THUMBNAIL_SIDE);
    assert!(t.height() <= THUMBNAIL_SIDE / 2);
}

#[test]
fn an_executable_renamed_jpg_is_refused() {
    let files = Files::new();
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.resize(4096, 0);
    let m = refused_with(
        files.store.put(&elf, "photo.jpg", "image/jpeg"),
        "attachment_type",
    );
    assert!(
        m.contains("ELF") && m.contains("JPEG") && m.contains("PDF"),
        "{m}"
    );
    assert!(m.contains("image/jpeg"), "names the declared type: {m}");

    let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
    pe.resize(4096, 0);
    let m = refused_with(
        files.store.put(&pe, "photo.jpg", "image/jpeg"),
        "attachment_type",
    );
    assert!(
        m.contains("Windows 可执行文件") && m.contains("a Windows executable"),
        "{m}"
    );

    for (bytes, found) in [
        (
            &b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"[..],
            "SVG",
        ),
        (b"GIF89a\x01\0\x01\0\0\0\0;", "GIF"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC"),
        (b"just some text", "unrecognised"),
    ] {
        let m = refused_with(files.store.put(bytes, "x.png", ""), "attachment_type");
        assert!(m.contains(found), "{m}");
    }
    // Client text that is not a content type is not quoted back.
    let m = refused_with(
        files.store.put(&elf, "x.jpg", "<script>alert(1)</script>"),
        "attachment_type",
    );
    assert!(!m.contains("script"), "{m}");
    assert_eq!(files.count(), 0, "nothing refused is stored");
}

#[test]
fn empty_oversized_and_damaged_uploads_are_refused() {
    let files = Files::new();
    refused_with(
        files.store.put(&[], "a.jpg", "image/jpeg"),
        "attachment_empty",
    );

    let mut over = vec![0xFF, 0xD8, 0xFF];
    over.resize(DEFAULT_MAX_BYTES as usize + 1, 0);
    let m = refused_with(
        files.store.put(&over, "a.jpg", "image/jpeg"),
        "attachment_too_large",
    );
    assert!(m.contains("10 MB"), "names the limit: {m}");

    let small = files.store.clone().with_max_bytes(4096);
    let m = refused_with(
        small.put(&jpeg(&noise(200, 200)), "a.jpg", "image/jpeg"),
        "attachment_too_large",
    );
    assert!(m.contains("4 KB"), "{m}");

    let mut broken = jpeg(&photo(64, 64));
    broken.truncate(200);
    let m = refused_with(
        files.store.put(&broken, "a.jpg", "image/jpeg"),
        "attachment_unreadable",
    );
    assert!(m.contains("JPEG"), "{m}");
    refused_with(
        files.store.put(b"\xFF\xD8\xFF garbage", "a.jpg", ""),
        "attachment_unreadable",
    );
    refused_with(
        files.store.put(&PDF[..60], "a.pdf", "application/pdf"),
        "attachment_unreadable",
    );
    assert_eq!(files.count(), 0);
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    let files = Files::new();
    let started = Instant::now();
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100);
    let m = refused_with(
        files.store.put(&bomb, "bomb.png", "image/png"),
        "attachment_too_large",
    );
    assert!(m.contains("12000"), "{m}");
    // Within the side limit but 100 megapixels: refused too, naming its size.
    let m = refused_with(
        files
            .store
            .put(&png_claiming(10_000, 10_000), "big.png", "image/png"),
        "attachment_too_large",
    );
    assert!(m.contains("10000×10000"), "{m}");
    // A JPEG whose frame header claims 60000×60000.
    let mut huge = jpeg(&photo(16, 16));
    let sof = huge.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    huge[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    refused_with(
        files.store.put(&huge, "huge.jpg", "image/jpeg"),
        "attachment_too_large",
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(files.count(), 0);
}

#[test]
fn png_and_webp_are_accepted() {
    let files = Files::new();
    let png = png_rgba(30, 20);
    let s = files
        .store
        .put(&png, "screenshot.png", "image/png")
        .unwrap();
    assert_eq!(
        (s.kind, s.content_type, s.width, s.height),
        (Kind::Image, "image/png", Some(30), Some(20))
    );
    let info = info_of(&s);
    let display = decode(&attachments::open_display(&files.store, &info).unwrap());
    assert_eq!(display.dimensions(), (30, 20));
    assert_eq!(display.get_pixel(25, 5)[3], 0, "transparency is kept");
    let thumb = attachments::open_thumbnail(&files.store, &info).unwrap();
    assert!(
        thumb.starts_with(&[0xFF, 0xD8, 0xFF]),
        "thumbnails are JPEG"
    );
    // Transparent areas become white in the JPEG thumbnail, not black.
    let t = decode(&thumb);
    assert!(t.get_pixel(25, 5)[0] > 200, "{:?}", t.get_pixel(25, 5));

    let img = photo(50, 40);
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(&mut webp)
        .write_image(&img, 50, 40, image::ExtendedColorType::Rgb8)
        .unwrap();
    let s = files.store.put(&webp, "p.webp", "image/webp").unwrap();
    assert_eq!(s.original_type, "image/webp");
    assert_eq!(s.content_type, "image/jpeg");
    assert_eq!(s.file_name, "p.jpg");
    assert_eq!((s.width, s.height), (Some(50), Some(40)));
}

#[test]
fn a_pdf_is_a_document_without_a_thumbnail() {
    let files = Files::new();
    let s = files
        .store
        .put(PDF, "../通知\u{202e}fdp.exe", "application/pdf")
        .unwrap();
    assert_eq!(s.kind, Kind::Document);
    assert_eq!(s.content_type, "application/pdf");
    assert_eq!(s.file_name, "通知fdp.pdf");
    assert_eq!(
        (s.width, s.height, &s.thumbnail_sha256),
        (None, None, &None)
    );
    assert_eq!(s.display_sha256, s.original_sha256);
    let info = info_of(&s);
    assert_eq!(attachments::open_display(&files.store, &info).unwrap(), PDF);
    assert!(matches!(
        attachments::open_thumbnail(&files.store, &info),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(files.count(), 1);
}

#[test]
fn identical_uploads_are_stored_once_and_damage_is_detected() {
    let files = Files::new();
    let bytes = with_exif(&jpeg(&photo(40, 60)), &exif_block(6));
    let a = files.store.put(&bytes, "a.jpg", "image/jpeg").unwrap();
    assert_eq!(files.count(), 3, "original, display copy, thumbnail");
    let b = files.store.put(&bytes, "b.jpg", "image/jpeg").unwrap();
    assert_eq!(files.count(), 3);
    assert_eq!(
        (&a.display_sha256, &a.original_sha256, &a.thumbnail_sha256),
        (&b.display_sha256, &b.original_sha256, &b.thumbnail_sha256)
    );
    assert_eq!(b.file_name, "b.jpg");
    let path = files.store.sealed_path(&a.display_sha256).unwrap();
    assert!(path.ends_with(format!(
        "{}/{}/{}.sealed",
        &a.display_sha256[0..2],
        &a.display_sha256[2..4],
        a.display_sha256
    )));

    // A file changed on disk is never served.
    std::fs::write(&path, b"tampered").unwrap();
    let r = attachments::open_display(&files.store, &info_of(&a));
    assert!(
        matches!(&r, Err(Error::Db(m)) if m.contains("damaged")),
        "{r:?}"
    );
}

/// Where a hash's file lives.
fn file_of(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[0..2]).join(&sha[2..4]).join(sha)
}

/// An info for a stored upload without a database (the file functions read
/// only its hashes).
fn info_of(s: &Stored) -> AttachmentInfo {
    AttachmentInfo {
        id: 0,
        kind: s.kind,
        content_type: s.content_type.to_string(),
        file_name: s.file_name.clone(),
        size: s.display_size,
        width: s.width,
        height: s.height,
        has_thumbnail: s.thumbnail_sha256.is_some(),
        sha256: s.display_sha256.clone(),
        uploaded_by: String::new(),
        uploaded_at: NOW,
        owner: None,
        thumbnail_sha256: s.thumbnail_sha256.clone(),
        original_sha256: s.original_sha256.clone(),
        original_type: s.original_type.to_string(),
        original_size: s.original_size,
    }
}

// ---------------------------------------------------------------------------
// The table, on both backends

async fn record(ts: &Env, ctx: &Ctx, s: &Stored) -> AttachmentInfo {
    let (ctx, s) = (ctx.clone(), s.clone());
    ts.db
        .write(move |c| attachments::record(c, &ctx, &s))
        .await
        .unwrap()
}

async fn link(ts: &Env, ctx: &Ctx, ids: &[i64], owner: Owner) -> Result<Vec<AttachmentInfo>> {
    let (ctx, ids) = (ctx.clone(), ids.to_vec());
    ts.db
        .write(move |c| attachments::link(c, &ctx, &ids, &owner))
        .await
}

async fn list_for(ts: &Env, owner: Owner) -> Vec<AttachmentInfo> {
    ts.db
        .read(move |c| attachments::list_for(c, &owner))
        .await
        .unwrap()
}

#[test]
fn uploads_are_recorded_and_linked_to_their_owner() {
    on_each_backend(|ts| async move {
        let files = Files::new();
        let ctx = ts.ctx();
        let photo_a = files
            .store
            .put(
                &with_exif(&jpeg(&photo(40, 60)), &exif_block(6)),
                "before.jpg",
                "image/jpeg",
            )
            .unwrap();
        let doc = files
            .store
            .put(PDF, "notice.pdf", "application/pdf")
            .unwrap();

        let a = record(&ts, &ctx, &photo_a).await;
        assert_eq!(a.owner, None);
        assert_eq!(a.uploaded_by, "tester");
        assert_eq!(a.uploaded_at, NOW);
        assert_eq!(a.file_name, "before.jpg");
        assert_eq!((a.width, a.height), (Some(60), Some(40)));
        assert!(a.has_thumbnail);
        assert_eq!(a.sha256, photo_a.display_sha256);
        assert_eq!(a.original_size, photo_a.original_size);
        let d = record(&ts, &ctx, &doc).await;
        assert_eq!((d.kind, d.has_thumbnail), (Kind::Document, false));
        // The same photo again is a second attachment sharing the files.
        let a2 = record(&ts, &ctx, &photo_a).await;
        assert_ne!(a.id, a2.id);
        assert_eq!(a2.sha256, a.sha256);

        // What the API shows of an attachment: not the original.
        let json = serde_json::to_value(&a).unwrap();
        assert!(json.get("original_sha256").is_none(), "{json}");
        assert_eq!(json["kind"], "image");

        let case = Owner::case(7);
        let linked = link(&ts, &ctx, &[a.id, d.id, a.id], case.clone())
            .await
            .unwrap();
        assert_eq!(
            linked.iter().map(|x| x.id).collect::<Vec<_>>(),
            [a.id, d.id]
        );
        assert!(linked.iter().all(|x| x.owner.as_ref() == Some(&case)));
        // Again to the same owner: nothing changes.
        link(&ts, &ctx, &[a.id], case.clone()).await.unwrap();
        let listed = list_for(&ts, case.clone()).await;
        assert_eq!(
            listed.iter().map(|x| x.id).collect::<Vec<_>>(),
            [a.id, d.id]
        );
        assert!(list_for(&ts, Owner::case(8)).await.is_empty());

        // Another owner cannot take them, and nothing changes when refused.
        let before = snapshot(&ts).await;
        refused(
            link(&ts, &ctx, &[a2.id, a.id], Owner::new("case_event", 3)).await,
            "attachment_linked",
        );
        refused(
            link(&ts, &ctx, &[999_999], case.clone()).await,
            "attachment_unknown",
        );
        unchanged(&before, &snapshot(&ts).await);

        let ids = vec![a.id, 999_999, d.id];
        let many = ts
            .db
            .read(move |c| attachments::get_many(c, &ids))
            .await
            .unwrap();
        assert_eq!(many.iter().map(|x| x.id).collect::<Vec<_>>(), [a.id, d.id]);
        assert_not_found(ts.db.read(|c| attachments::get(c, 999_999)).await);

        let audit = audit_of(&ts, "attachment", a.id).await;
        let actions: Vec<_> = audit.iter().map(|(_, action, _)| action.as_str()).collect();
        assert_eq!(actions, ["upload", "link"]);
        assert!(
            !audit[0].2.contains("before.jpg"),
            "no file names in the audit log"
        );
    });
}

#[test]
fn only_the_uploader_links_an_upload() {
    on_each_backend(|ts| async move {
        let files = Files::new();
        let mut resident = ts.ctx();
        resident.actor = "resident-1".into();
        resident.role = Some(Role::Resident);
        let mut other = resident.clone();
        other.actor = "resident-2".into();
        let mut worker = ts.ctx();
        worker.actor = "grid-worker".into();
        worker.role = Some(Role::GridWorker);

        let s = files
            .store
            .put(&jpeg(&photo(16, 16)), "p.jpg", "image/jpeg")
            .unwrap();
        let mine = record(&ts, &resident, &s).await;
        assert_eq!(mine.uploaded_by, "resident-1");
        // Someone else guessing the number gets the same answer as for a
        // number that does not exist.
        refused(
            link(&ts, &other, &[mine.id], Owner::case(1)).await,
            "attachment_unknown",
        );
        link(&ts, &resident, &[mine.id], Owner::case(1))
            .await
            .unwrap();

        // The original is for those who may see personal data (not even its
        // uploader, through the store), audited.
        let (w, id, dir) = (resident.clone(), mine.id, files.store.clone());
        let r = ts
            .db
            .write(move |c| attachments::open_original(c, &w, &dir, id, "check location"))
            .await;
        assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        let dir = files.store.clone();
        let original = ts
            .db
            .write(move |c| attachments::open_original(c, &worker, &dir, id, "核实上报位置"))
            .await
            .unwrap();
        assert_eq!(original, jpeg(&photo(16, 16)));
        let audit = audit_of(&ts, "attachment", mine.id).await;
        assert_eq!(audit.last().unwrap().1, "reveal_original");
    });
}

#[test]
fn relinking_on_a_merge_keeps_every_attachment() {
    on_each_backend(|ts| async move {
        let files = Files::new();
        let ctx = ts.ctx();
        let mut ids = Vec::new();
        for i in 0..4u32 {
            let s = files
                .store
                .put(&jpeg(&photo(16 + i, 16)), "p.jpg", "image/jpeg")
                .unwrap();
            ids.push(record(&ts, &ctx, &s).await.id);
        }
        let (dup, survivor) = (Owner::case(1), Owner::case(2));
        link(&ts, &ctx, &ids[..3], dup.clone()).await.unwrap();
        link(&ts, &ctx, &ids[3..], survivor.clone()).await.unwrap();
        let rows = count(&ts, "attachments").await;
        let file_count = files.count();

        let (c2, f, t) = (ctx.clone(), dup.clone(), survivor.clone());
        let moved = ts
            .db
            .write(move |c| attachments::relink(c, &c2, &f, &t))
            .await
            .unwrap();
        assert_eq!(moved, ids[..3]);
        assert!(list_for(&ts, dup.clone()).await.is_empty());
        let all = list_for(&ts, survivor.clone()).await;
        assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), ids);
        assert_eq!(count(&ts, "attachments").await, rows);
        assert_eq!(files.count(), file_count);
        for a in &all {
            attachments::open_display(&files.store, a).unwrap();
            attachments::open_thumbnail(&files.store, a).unwrap();
        }
        let audit = audit_of(&ts, "attachment", ids[0]).await;
        assert_eq!(audit.last().unwrap().1, "relink");

        // Nothing left to move: nothing happens.
        let (c2, f, t) = (ctx.clone(), dup.clone(), survivor.clone());
        let again = ts
            .db
            .write(move |c| attachments::relink(c, &c2, &f, &t))
            .await
            .unwrap();
        assert!(again.is_empty());
    });
}
