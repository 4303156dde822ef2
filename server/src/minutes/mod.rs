//! The meeting's record (biên bản) and the chair's conclusions (thông báo kết luận): the
//! notes the secretary keeps and the conclusions the chair writes while the meeting runs,
//! gathered with what the meeting already knows into a `record::Record`, rendered to PDF, and
//! finalised under a number from the organisation's register. Depends downward only (meetings,
//! agenda, attendance, speakers, polls, documents, audit); nothing below imports it.

pub mod record;
pub mod render;
