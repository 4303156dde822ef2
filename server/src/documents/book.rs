//! The board book (tập tài liệu phiên họp): one PDF of the meeting's documents in agenda order,
//! opening with a page that lists the agenda, with an outline entry per agenda item and, under
//! it, one per document. Built with lopdf from files that passed the check; the result is
//! cached by a key over everything it shows, so any change to the agenda or the documents
//! makes a new one.

use std::collections::BTreeMap;

use lopdf::dictionary;
use lopdf::{Bookmark, Dictionary, Document, LoadOptions, Object, ObjectId, Stream};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::font::{FontIds, FontSubset, hex_string};
use super::pdf;
use crate::agenda::AgendaItem;
use crate::error::ApiError;

/// A document as the book places it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BookDocument {
    pub document_id: String,
    pub title: String,
    pub sha256: String,
    pub version: i32,
    pub pages: i32,
}

/// One outline entry: an agenda item (numbered like "2.1") and its documents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub depth: usize,
    pub documents: Vec<BookDocument>,
}

/// The language of the book's own pages (its cover and the heading of loose documents): the
/// reader's, one language per book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Vi,
    En,
}

impl Language {
    fn contents(self) -> &'static str {
        match self {
            Self::Vi => "Chương trình họp",
            Self::En => "Agenda",
        }
    }

    fn others(self) -> &'static str {
        match self {
            Self::Vi => "Tài liệu khác",
            Self::En => "Other documents",
        }
    }
}

/// The book's contents, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub meeting_title: String,
    /// The cover's heading above the agenda, in the reader's language.
    pub contents_heading: String,
    pub sections: Vec<Section>,
}

impl Plan {
    /// Orders the documents by the agenda: depth first, each item's documents by position;
    /// documents on no item come last under "Tài liệu khác" ("Other documents").
    pub fn new(
        meeting_title: &str,
        agenda: &[AgendaItem],
        documents: &[super::Document],
        language: Language,
    ) -> Self {
        fn visit(
            items: &[AgendaItem],
            prefix: &str,
            depth: usize,
            documents: &[super::Document],
            out: &mut Vec<Section>,
        ) {
            for (i, item) in items.iter().enumerate() {
                let number = format!("{prefix}{}", i + 1);
                out.push(Section {
                    heading: format!("{number}. {}", item.title),
                    depth,
                    documents: documents
                        .iter()
                        .filter(|d| d.agenda_item_id.as_deref() == Some(item.id.as_str()))
                        .map(book_document)
                        .collect(),
                });
                visit(
                    &item.children,
                    &format!("{number}."),
                    depth + 1,
                    documents,
                    out,
                );
            }
        }
        fn book_document(d: &super::Document) -> BookDocument {
            BookDocument {
                document_id: d.id.clone(),
                title: d.title.clone(),
                sha256: d.sha256.clone(),
                version: d.version,
                pages: d.pages,
            }
        }
        let mut sections = Vec::new();
        visit(agenda, "", 0, documents, &mut sections);
        let mut placed = std::collections::HashSet::new();
        collect_ids(agenda, &mut placed);
        let loose: Vec<_> = documents
            .iter()
            .filter(|d| {
                d.agenda_item_id
                    .as_deref()
                    .is_none_or(|id| !placed.contains(id))
            })
            .map(book_document)
            .collect();
        if !loose.is_empty() {
            sections.push(Section {
                heading: language.others().into(),
                depth: 0,
                documents: loose,
            });
        }
        Self {
            meeting_title: meeting_title.to_owned(),
            contents_heading: language.contents().to_owned(),
            sections,
        }
    }

    /// Every document in the order the book places them.
    pub fn documents(&self) -> impl Iterator<Item = &BookDocument> {
        self.sections.iter().flat_map(|s| s.documents.iter())
    }

    /// Pages of the documents the book holds (its agenda pages come on top).
    pub fn document_pages(&self) -> i64 {
        self.documents().map(|d| i64::from(d.pages)).sum()
    }

    /// A key that changes whenever anything the book shows changes.
    pub fn cache_key(&self) -> Result<String, ApiError> {
        let json = serde_json::to_vec(self).map_err(ApiError::internal)?;
        Ok(hex::encode(Sha256::digest(json)))
    }
}

fn collect_ids(items: &[AgendaItem], out: &mut std::collections::HashSet<String>) {
    for item in items {
        out.insert(item.id.clone());
        collect_ids(&item.children, out);
    }
}

/// A line of text on a generated page: its size in points and indentation level.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub size: f64,
    pub indent: usize,
}

impl Line {
    pub fn new(text: &str, size: f64, indent: usize) -> Self {
        Self {
            text: text.to_owned(),
            size,
            indent,
        }
    }
}

/// A PDF of A4 pages with these lines (Vietnamese included), for generated documents.
pub fn text_pdf(lines: &[Line]) -> Result<Vec<u8>, ApiError> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let kids = text_pages(&mut doc, pages_id, lines)?;
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.into_iter().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => count,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(ApiError::internal)?;
    Ok(out)
}

/// Adds pages showing `lines` (as many as they need) under `pages_id`; returns them in order.
fn text_pages(
    doc: &mut Document,
    pages_id: ObjectId,
    lines: &[Line],
) -> Result<Vec<ObjectId>, ApiError> {
    let font = FontSubset::for_texts(lines.iter().map(|l| l.text.as_str()))?;
    let ids = FontIds {
        type0: doc.new_object_id(),
        cid_font: doc.new_object_id(),
        descriptor: doc.new_object_id(),
        file: doc.new_object_id(),
        to_unicode: doc.new_object_id(),
    };
    for (id, object) in font.objects(ids)? {
        doc.objects.insert(id, object);
    }
    // Lines wider than the page wrap at spaces, indented like their first part.
    let mut wrapped: Vec<Line> = Vec::new();
    for line in lines {
        let room = PAGE_W - 64.0 - 18.0 * line.indent as f64 - 56.0;
        let mut current = String::new();
        for word in line.text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && font.shape(&candidate)?.width * line.size > room {
                wrapped.push(Line::new(&current, line.size, line.indent));
                current = format!("  {word}");
            } else {
                current = candidate;
            }
        }
        wrapped.push(Line::new(&current, line.size, line.indent));
    }
    let lines = wrapped;
    let mut kids = Vec::new();
    for chunk in lines.chunks(LINES_PER_PAGE) {
        let mut content = String::from("BT 0 0 0 rg\n");
        let mut y = PAGE_H - 72.0;
        for line in chunk {
            let shaped = font.shape(&line.text)?;
            let x = 64.0 + 18.0 * line.indent as f64;
            content.push_str(&format!(
                "/F {} Tf 1 0 0 1 {x} {y} Tm {} Tj\n",
                line.size,
                hex_string(&shaped.codes)
            ));
            y -= line.size * 1.6;
        }
        content.push_str("ET\n");
        let stream_id = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(PAGE_W as f32), Object::Real(PAGE_H as f32)],
            "Contents" => stream_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F" => ids.type0 } },
        });
        kids.push(page);
    }
    if kids.is_empty() {
        return Err(ApiError::internal(anyhow::anyhow!("no lines to show")));
    }
    Ok(kids)
}

const PAGE_W: f64 = 595.0;
const PAGE_H: f64 = 842.0;
const LINES_PER_PAGE: usize = 40;

/// Builds the book; `read` gives the bytes of a stored file.
/// What the checking child is given to build a book: the plan and where each stored file
/// lies (it reads them itself; the server never loads them).
#[derive(Debug, Serialize, Deserialize)]
pub struct BookInput {
    pub plan: Plan,
    pub files: BTreeMap<String, std::path::PathBuf>,
}

/// Builds the book of `input` (in the checking child), reading the files it names.
pub fn compose_input(input: &BookInput, limits: &pdf::Limits) -> Result<Vec<u8>, ApiError> {
    compose(&input.plan, limits, |sha| {
        let path = input
            .files
            .get(sha)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("board book: no file for {sha}")))?;
        std::fs::read(path).map_err(ApiError::internal)
    })
}

pub fn compose(
    plan: &Plan,
    limits: &pdf::Limits,
    mut read: impl FnMut(&str) -> Result<Vec<u8>, ApiError>,
) -> Result<Vec<u8>, ApiError> {
    let mut book = Document::with_version("1.7");
    let pages_id = book.new_object_id();

    // The agenda pages first, so the outline can point at them.
    let mut lines = vec![Line::new(&plan.meeting_title, 16.0, 0)];
    lines.push(Line::new(&plan.contents_heading, 12.0, 0));
    for section in &plan.sections {
        lines.push(Line::new(&section.heading, 11.0, section.depth));
    }
    let mut kids = text_pages(&mut book, pages_id, &lines)?;
    let cover = kids[0];

    // Each file is read once however often it appears.
    let mut first_pages: BTreeMap<usize, Vec<(String, ObjectId)>> = BTreeMap::new();
    let options = || LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_bytes),
        ..LoadOptions::default()
    };
    for (index, section) in plan.sections.iter().enumerate() {
        for entry in &section.documents {
            let bytes = read(&entry.sha256)?;
            let mut source = Document::load_mem_with_options(&bytes, options())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("board book: {e}")))?;
            source.renumber_objects_with(book.max_id + 1);
            let pages = pdf::collect_pages(&source, limits.max_pages)
                .map_err(|e| ApiError::internal(anyhow::anyhow!("board book: {e}")))?;
            let Some(first) = pages.first().map(|p| p.id) else {
                continue;
            };
            for page in &pages {
                if let Ok(dict) = source.get_dictionary_mut(page.id) {
                    dict.set("Parent", pages_id);
                    // The page leaves its own tree, so what it inherited must come along.
                    for (key, value) in [
                        (&b"Resources"[..], &page.resources),
                        (b"MediaBox", &page.media_box),
                        (b"CropBox", &page.crop_box),
                        (b"Rotate", &page.rotate),
                    ] {
                        if let (false, Some(value)) = (dict.has(key), value) {
                            dict.set(key.to_vec(), value.clone());
                        }
                    }
                }
                kids.push(page.id);
            }
            let max = source.objects.keys().map(|k| k.0).max().unwrap_or(0);
            for (id, object) in source.objects {
                let skip = object
                    .as_dict()
                    .and_then(|d| d.get_type())
                    .is_ok_and(|t| t == b"Catalog" || t == b"Pages");
                if !skip {
                    book.objects.insert(id, object);
                }
            }
            book.max_id = book.max_id.max(max);
            first_pages
                .entry(index)
                .or_default()
                .push((entry.title.clone(), first));
        }
    }

    // Outline: items nest by depth; each item lists its documents.
    let mut parents: Vec<u32> = Vec::new();
    for (index, section) in plan.sections.iter().enumerate() {
        parents.truncate(section.depth);
        let documents = first_pages.get(&index).cloned().unwrap_or_default();
        let target = documents.first().map_or(cover, |(_, page)| *page);
        let parent = parents.last().copied();
        let id = book.add_bookmark(
            Bookmark::new(section.heading.clone(), [0.0, 0.0, 0.0], 1, target),
            parent,
        );
        for (title, page) in documents {
            book.add_bookmark(Bookmark::new(title, [0.0, 0.0, 0.4], 0, page), Some(id));
        }
        parents.push(id);
    }
    let count = kids.len() as i64;
    book.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.into_iter().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => count,
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some(outline) = book.build_outline() {
        catalog.set("Outlines", outline);
        catalog.set("PageMode", "UseOutlines");
    }
    let catalog_id = book.add_object(catalog);
    book.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    book.save_to(&mut out).map_err(ApiError::internal)?;
    Ok(out)
}
