//! Photos: decoded under limits, turned upright by their EXIF orientation, and
//! re-encoded. Re-encoding from pixels is what strips the metadata: nothing of
//! the upload's EXIF (GPS position, camera make and serial), XMP, ICC or
//! comments reaches the copies shown to others, whatever segments it had.

use crate::detect::Accepted;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The longest side of a stored image, either way round.
pub const MAX_SIDE: u32 = 12_000;
/// At most this many pixels (50 megapixels: beyond any phone's camera).
pub const MAX_PIXELS: u64 = 50_000_000;
/// What a decoder may allocate. 50 MP of RGB is 150 MB; 16-bit or alpha
/// images that large are refused rather than risk the server's memory.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The display copy's longest side: enough to read a meter or a licence plate
/// on a phone or a desktop screen; the full-size original is kept (restricted).
pub const DISPLAY_SIDE: u32 = 2560;
/// The thumbnail's longest side.
pub const THUMBNAIL_SIDE: u32 = 320;
const DISPLAY_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 75;

/// The copies made from an image.
pub struct Processed {
    pub display: Vec<u8>,
    pub display_type: &'static str,
    pub thumbnail: Vec<u8>,
    /// Of the display copy, upright.
    pub width: u32,
    pub height: u32,
}

/// Why an image was refused.
#[derive(Debug)]
pub enum Failure {
    /// Larger than the limits allow (a decompression bomb, or a huge scan),
    /// with its dimensions when they were read.
    TooLarge(Option<(u32, u32)>),
    /// Not a readable image of the type its signature claims.
    Unreadable(String),
    /// Encoding the copies failed: the server's fault, not the upload's.
    Internal(String),
}

fn failure(e: ImageError) -> Failure {
    match e {
        // Over a limit (the header's dimensions, or the memory decoding would
        // take): the error does not say by how much, so the refusal names
        // only the limits.
        ImageError::Limits(_) => Failure::TooLarge(None),
        other => Failure::Unreadable(other.to_string()),
    }
}

pub fn process(bytes: &[u8], kind: Accepted) -> Result<Processed, Failure> {
    let format = match kind {
        Accepted::Jpeg => ImageFormat::Jpeg,
        Accepted::Png => ImageFormat::Png,
        Accepted::Webp => ImageFormat::WebP,
        Accepted::Pdf => return Err(Failure::Internal("a PDF is not an image".into())),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    // The header is read and checked against the limits here, before any
    // pixel is decoded: a PNG of a few dozen bytes claiming 100000×100000 stops now.
    let mut decoder = reader.into_decoder().map_err(failure)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Failure::TooLarge(Some((width, height))));
    }
    // A damaged EXIF block should not cost the photo: it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(failure)?;
    img.apply_orientation(orientation);

    if img.width().max(img.height()) > DISPLAY_SIDE {
        img = img.resize(DISPLAY_SIDE, DISPLAY_SIDE, FilterType::Triangle);
    }
    // Screenshots and drawings (PNG) and anything transparent stay lossless
    // PNG; photographs become JPEG, which phones display fastest.
    let lossless = kind == Accepted::Png || img.color().has_alpha();
    let (display, display_type) = if lossless {
        (encode_png(&img)?, "image/png")
    } else {
        (encode_jpeg(&opaque(&img), DISPLAY_QUALITY)?, "image/jpeg")
    };
    // `thumbnail` would also enlarge a small image; those are used as they are.
    let thumb = if img.width().max(img.height()) > THUMBNAIL_SIDE {
        opaque(&img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    } else {
        opaque(&img)
    };
    let thumbnail = encode_jpeg(&thumb, THUMBNAIL_QUALITY)?;
    Ok(Processed {
        display,
        display_type,
        thumbnail,
        width: img.width(),
        height: img.height(),
    })
}

/// 8-bit grey or RGB, transparent areas laid on white (JPEG has no alpha, and
/// dropping it outright would turn transparent pixels black or garbage).
fn opaque(img: &DynamicImage) -> DynamicImage {
    if !img.color().has_alpha() {
        return match img {
            DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => img.clone(),
            DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(img.to_luma8()),
            _ => DynamicImage::ImageRgb8(img.to_rgb8()),
        };
    }
    let mut rgba = img.to_rgba8();
    for p in rgba.pixels_mut() {
        let a = u16::from(p[3]);
        for c in &mut p.0[..3] {
            *c = ((u16::from(*c) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
        p[3] = 255;
    }
    DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|e| Failure::Internal(format!("cannot encode: {e}")))?;
    Ok(out)
}

fn encode_png(img: &DynamicImage) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    img.write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|e| Failure::Internal(format!("cannot encode: {e}")))?;
    Ok(out)
}
