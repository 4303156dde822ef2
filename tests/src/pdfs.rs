//! PDFs the tests make themselves with lopdf: good ones of any size, and each kind of bad one
//! the server must refuse.

#![allow(clippy::expect_used)] // Test fixtures: a failure to build one is a broken test.

use std::io::Write;

use lopdf::{Document, Object, Stream, dictionary};

/// A valid PDF of `pages` pages, each saying `label` and its number.
pub fn simple(pages: usize, label: &str) -> Vec<u8> {
    sized(pages, 0, label)
}

/// Like `simple`, each page's content padded with about `page_bytes` bytes of drawing
/// operators (uncompressed), to make files of a given size.
pub fn sized(pages: usize, page_bytes: usize, label: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::with_capacity(pages);
    for n in 1..=pages {
        let mut content = format!("BT /F1 24 Tf 72 720 Td ({label} - page {n}) Tj ET\n");
        let mut i = 0usize;
        while content.len() < page_bytes {
            content.push_str(&format!(
                "{} {} m {} {} l S\n",
                i % 500,
                i % 700,
                (i + 7) % 500,
                (i + 3) % 700
            ));
            i += 1;
        }
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => pages as i64,
            // Inherited by every page: the stamp and the board book must keep them.
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    save(doc)
}

fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save test pdf");
    out
}

/// A page tree whose node lists itself among its kids.
pub fn cyclic_page_tree() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![Object::Reference(page_id), Object::Reference(pages_id)],
            "Count" => 2,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    save(doc)
}

/// One page whose content stream inflates to `inflated` bytes.
pub fn decompression_bomb(inflated: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len());
        encoder.write_all(&block[..n]).expect("compress");
        left -= n;
    }
    let compressed = encoder.finish().expect("compress");
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content =
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, compressed).with_compression(false);
    let content_id = doc.add_object(content);
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![Object::Reference(page_id)], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    save(doc)
}

/// A PDF whose trailer names an encryption dictionary (RC4, a password nobody knows).
pub fn encrypted() -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&simple(1, "secret")).expect("load");
    let encrypt_id = doc.add_object(dictionary! {
        "Filter" => "Standard", "V" => 1, "R" => 2, "P" => -4,
        "O" => Object::String(vec![0x11; 32], lopdf::StringFormat::Hexadecimal),
        "U" => Object::String(vec![0x22; 32], lopdf::StringFormat::Hexadecimal),
    });
    doc.trailer.set("Encrypt", encrypt_id);
    doc.trailer.set(
        "ID",
        vec![
            Object::String(vec![1; 16], lopdf::StringFormat::Hexadecimal),
            Object::String(vec![1; 16], lopdf::StringFormat::Hexadecimal),
        ],
    );
    save(doc)
}

/// A valid file whose cross-reference offsets all point at the wrong bytes.
pub fn broken_xref() -> Vec<u8> {
    let mut doc = Document::load_mem(&simple(2, "xref")).expect("load");
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let mut bytes = save(doc);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let start = text.rfind("\nxref").expect("xref table") + 1;
    let mut i = start;
    // Rewrite every "0000001234 00000 n" entry to offset 1.
    while let Some(pos) = text[i..].find(" 00000 n") {
        let at = i + pos;
        if at < 10 {
            break;
        }
        bytes[at - 10..at].copy_from_slice(b"0000000001");
        i = at + 8;
    }
    bytes
}

/// The first half of a valid file.
pub fn truncated() -> Vec<u8> {
    let bytes = simple(3, "truncated");
    bytes[..bytes.len() / 2].to_vec()
}

/// The start of a JPEG file.
pub fn jpeg() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bytes.resize(4096, 0x42);
    bytes
}

/// The text of every page's content streams, decompressed, for checking what was drawn.
pub fn page_contents(bytes: &[u8]) -> Vec<Vec<u8>> {
    let doc = Document::load_mem(bytes).expect("load");
    doc.page_iter().map(|id| doc.get_page_content(id)).collect()
}
