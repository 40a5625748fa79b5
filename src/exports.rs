//! Writing the exports as a stream of chunks: one page of updates at a time, so memory stays
//! flat whatever the number of updates. The CLI writes the chunks to a file; HTTP streams them.
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use crate::domain::export::{RowFacts, Target, neutralise, row};
use crate::store::exports::{ExportItem, page};

const PAGE: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "xlsx" => Err("the xlsx format is not available yet; use csv (it opens in Excel) or json".into()),
            _ => Err(format!("`{s}` is not an export format (csv or json)")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

fn facts(item: &ExportItem) -> RowFacts<'_> {
    RowFacts {
        reference: &item.reference,
        title: &item.title,
        organization: &item.organization,
        country: &item.country,
        scope: item.scope,
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
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<usize, sea_orm::DbErr> {
    let columns = target.columns();
    let head = match format {
        Format::Csv => csv_line(columns.iter().map(|c| c.to_string())),
        Format::Json => format!(
            "{{\"target\":\"{}\",\"columns\":{},\"items\":[",
            format!("{target:?}").to_lowercase(),
            serde_json::json!(columns)
        )
        .into_bytes(),
    };
    if tx.send(head).await.is_err() {
        return Ok(0);
    }
    let (mut after, mut count) = (0, 0usize);
    loop {
        let (items, next) = page(db, target, &["approved", "published"], after, PAGE).await?;
        let mut chunk = Vec::new();
        for item in &items {
            let cells = row(target, &facts(item), &item.answers);
            match format {
                Format::Csv => chunk.extend(csv_line(cells.iter().map(|c| neutralise(c)))),
                Format::Json => {
                    if count > 0 {
                        chunk.push(b',');
                    }
                    let object: serde_json::Map<String, serde_json::Value> = columns
                        .iter()
                        .zip(cells)
                        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                        .collect();
                    chunk.extend(serde_json::to_vec(&object).unwrap_or_default());
                }
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
