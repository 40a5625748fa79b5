//! What may be attached to an update: the GCM pledge form's file types (plus JPEG and PNG for
//! photos), checked by extension *and* by content, at most 5 files and 25 MB per update.

pub const MAX_FILES: usize = 5;
pub const MAX_TOTAL_BYTES: u64 = 25 * 1024 * 1024;
pub const CAPTION_MAX: usize = 500;
pub const CREDIT_MAX: usize = 300;

/// Does the content look like the type claimed?
type Sniff = fn(&Received) -> bool;

/// How many leading bytes the content checks look at.
const HEAD_BYTES: usize = 16;

/// What the content checks need of a file, gathered as it streams in (never the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The first bytes, for the signatures.
    pub head: Vec<u8>,
    pub size: u64,
    /// UTF-8 throughout, with no NUL: a plain text file.
    pub is_text: bool,
    /// SHA-256 of the content, in hex.
    pub sha256: String,
}

impl Received {
    /// The summary of bytes already in memory.
    pub fn of(bytes: &[u8]) -> Received {
        let mut probe = ContentProbe::default();
        probe.feed(bytes);
        probe.finish()
    }
}

/// Builds a `Received` chunk by chunk.
#[derive(Default)]
pub struct ContentProbe {
    head: Vec<u8>,
    size: u64,
    not_text: bool,
    /// The start of a UTF-8 character cut by the end of the last chunk.
    carry: Vec<u8>,
    hash: sha2::Sha256,
}

impl ContentProbe {
    pub fn feed(&mut self, chunk: &[u8]) {
        use sha2::Digest;
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.not_text {
            return;
        }
        let mut pending = std::mem::take(&mut self.carry);
        pending.extend_from_slice(chunk);
        match std::str::from_utf8(&pending) {
            Ok(text) => self.not_text = text.contains('\0'),
            // A character cut at the chunk's end waits for the next chunk (at most 3 bytes).
            Err(e) if e.error_len().is_none() && pending.len() - e.valid_up_to() < 4 => {
                self.not_text = pending[..e.valid_up_to()].contains(&0);
                self.carry = pending[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.not_text = true,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> Received {
        use sha2::Digest;
        Received {
            head: self.head,
            size: self.size,
            is_text: !self.not_text && self.carry.is_empty(),
            sha256: self.hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// (extension, MIME type, content check)
const TYPES: &[(&str, &str, Sniff)] = &[
    ("pdf", "application/pdf", |r| r.head.starts_with(b"%PDF-")),
    ("txt", "text/plain; charset=utf-8", |r| r.is_text),
    ("rtf", "application/rtf", |r| r.head.starts_with(b"{\\rtf")),
    ("doc", "application/msword", is_ole),
    ("xls", "application/vnd.ms-excel", is_ole),
    ("ppt", "application/vnd.ms-powerpoint", is_ole),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        is_zip,
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        is_zip,
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        is_zip,
    ),
    ("odt", "application/vnd.oasis.opendocument.text", is_zip),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet", is_zip),
    ("odp", "application/vnd.oasis.opendocument.presentation", is_zip),
    ("jpg", "image/jpeg", |r| r.head.starts_with(&[0xFF, 0xD8, 0xFF])),
    ("jpeg", "image/jpeg", |r| r.head.starts_with(&[0xFF, 0xD8, 0xFF])),
    ("png", "image/png", |r| {
        r.head
            .starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])
    }),
];

fn is_zip(r: &Received) -> bool {
    r.head.starts_with(b"PK\x03\x04")
}

fn is_ole(r: &Received) -> bool {
    r.head
        .starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

pub fn allowed_extensions() -> Vec<&'static str> {
    TYPES.iter().map(|(ext, _, _)| *ext).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The display name, cleaned of paths and control characters.
    pub filename: String,
    pub content_type: &'static str,
}

/// Why an upload is refused. `code` picks the translated message, `detail` fills it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub detail: String,
}

fn refuse(code: &'static str, detail: impl Into<String>) -> Refused {
    Refused {
        code,
        detail: detail.into(),
    }
}

/// Keeps the last path segment, drops control characters, shortens to 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    cleaned.chars().take(200).collect()
}

/// Checks one upload against the limits, given what the update already has.
pub fn check_upload(
    raw_filename: &str,
    file: &Received,
    caption: &str,
    credit: &str,
    existing_files: usize,
    existing_bytes: u64,
) -> Result<Accepted, Refused> {
    let filename = clean_filename(raw_filename);
    if filename.is_empty() {
        return Err(refuse("no_file", ""));
    }
    if file.size == 0 {
        return Err(refuse("empty", filename));
    }
    if existing_files >= MAX_FILES {
        return Err(refuse("too_many", MAX_FILES.to_string()));
    }
    if existing_bytes + file.size > MAX_TOTAL_BYTES {
        return Err(refuse("too_large", (MAX_TOTAL_BYTES / 1024 / 1024).to_string()));
    }
    if caption.trim().is_empty() {
        return Err(refuse("caption_missing", ""));
    }
    if credit.trim().is_empty() {
        return Err(refuse("credit_missing", ""));
    }
    if caption.chars().count() > CAPTION_MAX {
        return Err(refuse("caption_too_long", CAPTION_MAX.to_string()));
    }
    if credit.chars().count() > CREDIT_MAX {
        return Err(refuse("credit_too_long", CREDIT_MAX.to_string()));
    }
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, mime, matches)) = TYPES.iter().find(|(ext, _, _)| *ext == extension) else {
        return Err(refuse("type_not_allowed", allowed_extensions().join(", ")));
    };
    if !matches(file) {
        return Err(refuse("content_mismatch", extension));
    }
    Ok(Accepted {
        filename,
        content_type: mime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_gcm_types_by_extension_and_content() {
        let pdf = b"%PDF-1.7 ...";
        let ok = check_upload(
            "C:\\Users\\me\\Report 2025.PDF",
            &Received::of(pdf),
            "Annual report",
            "City of Arua",
            0,
            0,
        )
        .unwrap();
        assert_eq!(ok.filename, "Report 2025.PDF");
        assert_eq!(ok.content_type, "application/pdf");
        assert!(
            check_upload(
                "notes.txt",
                &Received::of("Résumé".as_bytes()),
                "Notes",
                "Arua",
                0,
                0
            )
            .is_ok()
        );
        assert!(
            check_upload(
                "slides.pptx",
                &Received::of(b"PK\x03\x04rest"),
                "Slides",
                "Arua",
                0,
                0
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_what_the_limits_do_not_allow() {
        let code = |r: Result<Accepted, Refused>| r.unwrap_err().code;
        let check = |name: &str, bytes: &[u8], files: usize, total: u64| {
            check_upload(name, &Received::of(bytes), "Caption", "Credit", files, total)
        };
        assert_eq!(code(check("run.exe", b"MZ", 0, 0)), "type_not_allowed");
        assert_eq!(code(check("fake.pdf", b"MZ\x90", 0, 0)), "content_mismatch");
        assert_eq!(code(check("a.pdf", b"%PDF-", 5, 0)), "too_many");
        assert_eq!(
            code(check("a.pdf", b"%PDF-", 1, MAX_TOTAL_BYTES - 2)),
            "too_large"
        );
        assert_eq!(code(check("a.pdf", b"", 0, 0)), "empty");
        assert_eq!(code(check("", b"%PDF-", 0, 0)), "no_file");
        assert_eq!(
            code(check_upload(
                "a.pdf",
                &Received::of(b"%PDF-"),
                &"c".repeat(501),
                "Credit",
                0,
                0
            )),
            "caption_too_long"
        );
        assert_eq!(code(check("a.txt", b"bin\0ary", 0, 0)), "content_mismatch");
        assert_eq!(
            code(check_upload(
                "a.pdf",
                &Received::of(b"%PDF-"),
                " ",
                "Credit",
                0,
                0
            )),
            "caption_missing"
        );
        assert_eq!(
            code(check_upload(
                "a.pdf",
                &Received::of(b"%PDF-"),
                "Caption",
                "",
                0,
                0
            )),
            "credit_missing"
        );
    }

    #[test]
    fn a_file_fed_in_chunks_is_judged_as_the_whole_file() {
        let text = "Résumé des activités 2025 — 50 000 personnes\n".repeat(50);
        let whole = Received::of(text.as_bytes());
        assert!(whole.is_text);
        assert_eq!(whole.sha256, crate::tokens::sha256_hex(text.as_bytes()));
        // Cut everywhere, also inside the two-byte é and the three-byte dash.
        for size in [1, 2, 3, 5, 7, 64] {
            let mut probe = ContentProbe::default();
            for chunk in text.as_bytes().chunks(size) {
                probe.feed(chunk);
            }
            assert_eq!(probe.finish(), whole, "chunks of {size}");
        }
        let mut cut = ContentProbe::default();
        cut.feed(&"é".as_bytes()[..1]);
        assert!(
            !cut.finish().is_text,
            "a file that ends inside a character is not text"
        );
        let mut nul = ContentProbe::default();
        nul.feed(b"text");
        nul.feed(b"\0");
        assert!(!nul.finish().is_text);
        assert_eq!(
            Received::of(b"%PDF-1.7 and more than sixteen bytes").head,
            b"%PDF-1.7 and mor"
        );
    }

    #[test]
    fn filenames_lose_paths_and_hidden_prefixes() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(clean_filename("a\u{0}b\nc.pdf"), "abc.pdf");
    }
}
