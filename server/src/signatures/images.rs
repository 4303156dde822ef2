//! Signature images (Nghị định 30/2020, Phụ lục I): the picture of a person's handwritten
//! signature, which each user uploads to their profile (a PNG), and the organisation's red
//! seal (`signing.seal_image`). A signature drawn in a signature block shows the signer's
//! picture; without one it is a text box. PNGs are decoded here (the `png` crate, within a
//! memory limit) into the RGB samples and the alpha mask a PDF image needs.

use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;

use crate::db::schema::signature_images as si;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// The largest PNG taken, in bytes.
pub const MAX_BYTES: usize = 512 * 1024;
/// The largest picture taken, in pixels per side.
pub const MAX_SIDE: u32 = 2000;

/// A decoded picture: 8-bit RGB samples and, when it has transparency, 8-bit alpha.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub alpha: Option<Vec<u8>>,
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::invalid("invalid_image", detail)
}

/// Decodes a PNG a user or the configuration gave, refusing what is not one, too large, or
/// of absurd size.
pub fn decode(bytes: &[u8]) -> Result<Picture, ApiError> {
    if bytes.len() > MAX_BYTES {
        return Err(invalid(format!(
            "a signature image is at most {} KiB",
            MAX_BYTES / 1024
        )));
    }
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: 64 * 1024 * 1024,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| invalid(format!("not a PNG image: {e}")))?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(invalid(format!(
            "a signature image is 1 to {MAX_SIDE} pixels on each side"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| invalid("the image is too large"))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| invalid(format!("the PNG cannot be read: {e}")))?;
    buf.truncate(frame.buffer_size());
    let pixels = (width as usize) * (height as usize);
    let (rgb, alpha) = match frame.color_type {
        png::ColorType::Rgb => (buf, None),
        png::ColorType::Rgba => {
            let mut rgb = Vec::with_capacity(pixels * 3);
            let mut alpha = Vec::with_capacity(pixels);
            for px in buf.chunks_exact(4) {
                rgb.extend_from_slice(&px[..3]);
                alpha.push(px[3]);
            }
            (rgb, Some(alpha))
        }
        png::ColorType::Grayscale => (buf.iter().flat_map(|g| [*g, *g, *g]).collect(), None),
        png::ColorType::GrayscaleAlpha => {
            let mut rgb = Vec::with_capacity(pixels * 3);
            let mut alpha = Vec::with_capacity(pixels);
            for px in buf.chunks_exact(2) {
                rgb.extend_from_slice(&[px[0], px[0], px[0]]);
                alpha.push(px[1]);
            }
            (rgb, Some(alpha))
        }
        png::ColorType::Indexed => return Err(invalid("the PNG's palette was not expanded")),
    };
    if rgb.len() != pixels * 3 {
        return Err(invalid("the PNG's pixels do not match its size"));
    }
    Ok(Picture {
        width,
        height,
        rgb,
        alpha,
    })
}

/// Keeps `user`'s signature image (a PNG already decoded once).
pub fn save(conn: &mut DbConnection, user_id: &str, png: &[u8]) -> Result<(), ApiError> {
    let text = B64.encode(png);
    let now = db::now();
    let updated = diesel::update(si::table.find(user_id))
        .set((si::png.eq(&text), si::updated_at.eq(now)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(si::table)
            .values((
                si::user_id.eq(user_id),
                si::png.eq(&text),
                si::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `user`'s signature image, as uploaded.
pub fn load(conn: &mut DbConnection, user_id: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let text: Option<String> = si::table
        .find(user_id)
        .select(si::png)
        .first(conn)
        .optional()?;
    text.map(|t| B64.decode(t).map_err(ApiError::internal))
        .transpose()
}

/// Forgets `user`'s signature image; whether there was one.
pub fn delete(conn: &mut DbConnection, user_id: &str) -> Result<bool, ApiError> {
    Ok(diesel::delete(si::table.find(user_id)).execute(conn)? > 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A PNG of `w`×`h` pixels, RGBA, with a transparent left half.
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().unwrap();
            let data: Vec<u8> = (0..w * h)
                .flat_map(|i| {
                    let x = i % w;
                    [20, 30, 200, if x < w / 2 { 0 } else { 255 }]
                })
                .collect();
            writer.write_image_data(&data).unwrap();
        }
        out
    }

    #[test]
    fn a_png_becomes_rgb_and_alpha() {
        let p = decode(&png(4, 2)).unwrap();
        assert_eq!((p.width, p.height), (4, 2));
        assert_eq!(&p.rgb[..3], &[20, 30, 200]);
        assert_eq!(
            p.alpha.as_deref(),
            Some(&[0, 0, 255, 255, 0, 0, 255, 255][..])
        );
    }

    #[test]
    fn what_is_not_a_fitting_png_is_refused() {
        for bad in [b"GIF89a".to_vec(), vec![0; 10], png(MAX_SIDE + 1, 1)] {
            let err = decode(&bad).unwrap_err();
            assert_eq!(err.code(), "invalid_image");
        }
        assert_eq!(
            decode(&vec![0; MAX_BYTES + 1]).unwrap_err().code(),
            "invalid_image"
        );
    }
}
