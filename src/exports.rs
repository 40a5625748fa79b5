//! Writing the exports as a stream of chunks: one page of updates at a time, so memory stays
//! flat whatever the number of updates. The CLI writes the chunks to a file; HTTP streams them.
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use crate::domain::export::{RowFacts, Target, cell, neutralise, row};
use crate::store::exports::{EXPORTED, ExportItem, page};

const PAGE: u64 = 200;

/// The byte-order mark Excel needs to read a CSV file as UTF-8 (it guesses otherwise).
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(format!("`{s}` is not an export format (csv, xlsx or json)")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }
}

fn facts(item: &ExportItem) -> RowFacts<'_> {
    RowFacts {
        reference: &item.reference,
        title: &item.title,
        organization: &item.organization,
        country: &item.country,
        country_code: &item.country_code,
        register_scope: item.register_scope,
        campaign: &item.campaign,
        state: &item.state,
        revision: item.revision,
        submitted_at: &item.submitted_at,
        gcr_pledge_id: item.gcr_pledge_id.as_deref(),
        gcm_pledge_ref: item.gcm_pledge_ref.as_deref(),
    }
}

fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = cells.into_iter().collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(&cells);
    writer.into_inner().unwrap_or_default()
}

/// Sends the export, chunk by chunk, into `tx`; stops early if the receiver goes away.
/// Returns the number of updates written.
pub async fn produce(
    db: &DatabaseConnection,
    format: Format,
    target: Target,
    all_cycles: bool,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<usize, sea_orm::DbErr> {
    if format == Format::Xlsx {
        return produce_xlsx(db, target, all_cycles, tx).await;
    }
    let columns = target.column_names();
    let head = match format {
        Format::Xlsx => unreachable!("handled above"),
        Format::Csv => csv_line(columns.iter().map(|c| c.to_string())),
        Format::Json => format!(
            "{{\"target\":\"{}\",\"columns\":{},\"items\":[",
            target.name(),
            serde_json::json!(columns)
        )
        .into_bytes(),
    };
    if tx.send(head).await.is_err() {
        return Ok(0);
    }
    let (mut after, mut count) = (0, 0usize);
    loop {
        let (items, next) = page(db, target, EXPORTED, all_cycles, after, PAGE).await?;
        let mut chunk = Vec::new();
        for item in &items {
            let values = row(target, &facts(item), &item.answers);
            match format {
                Format::Csv => chunk.extend(csv_line(values.iter().map(|(_, v)| neutralise(&cell(v))))),
                Format::Json => {
                    if count > 0 {
                        chunk.push(b',');
                    }
                    let object: serde_json::Map<String, serde_json::Value> =
                        values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                    chunk.extend(serde_json::to_vec(&object).unwrap_or_default());
                }
                Format::Xlsx => unreachable!("handled above"),
            }
            count += 1;
        }
        if !chunk.is_empty() && tx.send(chunk).await.is_err() {
            return Ok(count);
        }
        match next {
            Some(id) => after = id,
            None => break,
        }
    }
    if format == Format::Json {
        let _ = tx.send(b"]}".to_vec()).await;
    }
    Ok(count)
}

/// XLSX in the writer's constant-memory mode: each row goes to a temporary file as it is
/// written, and the finished workbook is zipped straight into the channel.
async fn produce_xlsx(
    db: &DatabaseConnection,
    target: Target,
    all_cycles: bool,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<usize, sea_orm::DbErr> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| sea_orm::DbErr::Custom(format!("xlsx export: {e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
    sheet.set_name("updates").map_err(failed)?;
    let bold = CellFormat::new().set_bold();
    for (col, name) in target.column_names().iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *name, &bold)
            .map_err(failed)?;
    }
    let (mut after, mut count) = (0, 0usize);
    loop {
        let (items, next) = page(db, target, EXPORTED, all_cycles, after, PAGE).await?;
        for item in &items {
            let line = (count + 1) as u32;
            for (col, (_, value)) in row(target, &facts(item), &item.answers).iter().enumerate() {
                match value.as_f64() {
                    Some(n) => sheet.write_number(line, col as u16, n).map_err(failed)?,
                    None => sheet
                        .write_string(line, col as u16, neutralise(&cell(value)))
                        .map_err(failed)?,
                };
            }
            count += 1;
        }
        match next {
            Some(id) => after = id,
            None => break,
        }
    }
    tokio::task::spawn_blocking(move || workbook.save_to_writer(ChunkWriter::new(tx)))
        .await
        .map_err(|e| sea_orm::DbErr::Custom(format!("xlsx export: {e}")))?
        .map_err(failed)?;
    Ok(count)
}

/// A `Write` that hands 64 KiB chunks to an async channel (from a blocking thread).
struct ChunkWriter {
    tx: mpsc::Sender<Vec<u8>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    const CHUNK: usize = 64 * 1024;

    fn new(tx: mpsc::Sender<Vec<u8>>) -> ChunkWriter {
        ChunkWriter {
            tx,
            buffer: Vec::with_capacity(Self::CHUNK),
        }
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= Self::CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(Self::CHUNK));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader went away"))
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}
