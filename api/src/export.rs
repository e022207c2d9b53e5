//! CSV exports for Excel and Power BI: `GET /export/kpis.csv` (one row per rep or team,
//! one column per KPI) and `GET /export/scorecards.csv` (one row per scorecard item),
//! with the bearer token and access rules of the GraphQL API. The figures come from the
//! same grouped statements as `kpiTable`; the text is written and sent in chunks.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use attain_core::CoreError;
use attain_core::kpi::{KpiKey, Unit, round_for_output};
use attain_core::scorecard::Status;
use attain_core::table::{self, TableKind, TableRow};
use attain_core::tenancy::{self, Rows};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::time::Instant;

use crate::graphql::Services;
use crate::routes::{Guard, admit, server_error, status_of};

/// Rows written per chunk of the response.
const CHUNK_ROWS: usize = 200;

/// What an export reads from its query string.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportQuery {
    /// A period label, as in GraphQL (`FY2026-Q3`, `2026-03`, …).
    period: String,
    /// `REP` (default) or `TEAM`.
    subjects: Option<String>,
    /// Comma-separated KPI keys (`REVENUE,WIN_RATE`); every KPI when left out.
    keys: Option<String>,
    /// How KPI columns are named: `key` (default), `en` or `zh` (中文指标名).
    names: Option<String>,
    /// RFC 3339; now when left out.
    as_of: Option<String>,
}

/// How KPIs are named in the header.
#[derive(Clone, Copy)]
enum Names {
    Key,
    English,
    Chinese,
}

impl Names {
    fn of(self, key: KpiKey) -> &'static str {
        match self {
            Names::Key => key.as_str(),
            Names::English => key.kpi().name_en,
            Names::Chinese => key.kpi().name_zh,
        }
    }
}

/// A parsed export request.
struct Asked {
    kind: TableKind,
    period: String,
    keys: Vec<KpiKey>,
    names: Names,
    as_of: DateTime<Utc>,
}

impl ExportQuery {
    fn parse(&self) -> Result<Asked, CoreError> {
        let kind = match self.subjects.as_deref().unwrap_or("REP") {
            "REP" => TableKind::Rep,
            "TEAM" => TableKind::Team,
            _ => return Err(CoreError::bad_input("subjects", "REP or TEAM")),
        };
        let keys = match self.keys.as_deref() {
            None | Some("") => KpiKey::ALL.to_vec(),
            Some(keys) => keys
                .split(',')
                .map(|key| {
                    KpiKey::parse(&key.trim().to_ascii_lowercase()).ok_or_else(|| {
                        CoreError::bad_input("keys", format!("unknown KPI key {key:?}"))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let names = match self.names.as_deref().unwrap_or("key") {
            "key" => Names::Key,
            "en" => Names::English,
            "zh" => Names::Chinese,
            _ => return Err(CoreError::bad_input("names", "key, en or zh")),
        };
        let as_of = match self.as_of.as_deref() {
            None => Utc::now(),
            Some(text) => DateTime::parse_from_rfc3339(text)
                .map_err(|_| CoreError::bad_input("asOf", "an RFC 3339 instant"))?
                .with_timezone(&Utc),
        };
        Ok(Asked {
            kind,
            period: self.period.clone(),
            keys,
            names,
            as_of,
        })
    }
}

/// Mounts the export routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/export/{file}", web::get().to(export_file));
}

/// `kpis.csv` or `scorecards.csv`; any other name is not found.
async fn export_file(
    services: web::Data<Services>,
    guard: web::Data<Guard>,
    http: HttpRequest,
    file: web::Path<String>,
    query: Option<web::Query<ExportQuery>>,
) -> HttpResponse {
    let lines: Lines = match file.as_str() {
        "kpis.csv" => kpi_lines,
        "scorecards.csv" => scorecard_lines,
        _ => return HttpResponse::NotFound().finish(),
    };
    export(&services, &guard, &http, query, &file, lines).await
}

/// The lines of a file: its header, then the lines of each row.
type Lines = fn(&Asked, Option<&TableRow>, &str) -> Vec<Vec<String>>;

/// Authenticates, computes the table and streams it as CSV.
async fn export(
    services: &Services,
    guard: &Guard,
    http: &HttpRequest,
    query: Option<web::Query<ExportQuery>>,
    file: &str,
    lines: Lines,
) -> HttpResponse {
    let started = Instant::now();
    let answer = table_for(services, guard, http, query).await;
    let code = answer.as_ref().err().map(|error| error.code().to_owned());
    guard.metrics.observe(
        &format!("export_{}", file.trim_end_matches(".csv")),
        started.elapsed().as_secs_f64(),
        code.as_slice(),
    );
    let (asked, label, rows) = match answer {
        Ok(found) => found,
        Err(error) => {
            let (status, retry_after) = status_of(&error);
            let mut refused = HttpResponse::build(status);
            if let Some(seconds) = retry_after {
                refused.insert_header((header::RETRY_AFTER, seconds));
            }
            return refused.json(async_graphql::Response::from_errors(vec![server_error(
                error,
            )]));
        }
    };
    let header = lines(&asked, None, &label);
    let body = stream::iter(std::iter::once(header))
        .chain(stream::iter(rows).chunks(CHUNK_ROWS).map(move |chunk| {
            chunk
                .iter()
                .flat_map(|row| lines(&asked, Some(row), &label))
                .collect()
        }))
        .enumerate()
        .map(|(index, records)| csv_chunk(index == 0, records));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body)
}

/// The caller's table, after the rate limit and the token check.
async fn table_for(
    services: &Services,
    guard: &Guard,
    http: &HttpRequest,
    query: Option<web::Query<ExportQuery>>,
) -> Result<(Asked, String, Vec<TableRow>), CoreError> {
    let principal = admit(services, guard, http)
        .await??
        .ok_or(CoreError::Unauthenticated)?;
    let query = query.ok_or_else(|| CoreError::bad_input("period", "required"))?;
    let asked = query.parse()?;
    let table = table::kpi_table(
        services.reads_for(http),
        &principal,
        asked.kind,
        &asked.period,
        &asked.keys,
        asked.as_of,
    );
    let (window, rows) =
        tenancy::within(Rows::Organization(principal.organization_id), table).await?;
    Ok((asked, window.period.label(), rows))
}

/// CSV text of some records; the first chunk starts with a byte order mark, which tells
/// Excel the file is UTF-8.
fn csv_chunk(first: bool, records: Vec<Vec<String>>) -> Result<web::Bytes, actix_web::Error> {
    let bom: &[u8] = if first { "\u{feff}".as_bytes() } else { &[] };
    let mut writer = csv::Writer::from_writer(bom.to_vec());
    for record in records {
        writer.write_record(&record).map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| internal(error.into_error()))?;
    Ok(web::Bytes::from(bytes))
}

fn internal(error: impl std::fmt::Display) -> actix_web::Error {
    tracing::error!(%error, "writing CSV");
    actix_web::error::ErrorInternalServerError("export failed")
}

/// A value as a plain number, empty when null.
fn plain(value: Option<Decimal>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn ratio(value: Option<Decimal>) -> String {
    plain(value.map(|value| round_for_output(Unit::Ratio, value)))
}

fn id_of(row: &TableRow) -> [String; 3] {
    [
        row.subject_id.to_string(),
        row.name.clone(),
        row.team_id.map(|id| id.to_string()).unwrap_or_default(),
    ]
}

/// `period, subject_id, subject, team_id, <one column per KPI>, composite`.
fn kpi_lines(asked: &Asked, row: Option<&TableRow>, period: &str) -> Vec<Vec<String>> {
    let Some(row) = row else {
        let mut header: Vec<String> = ["period", "subject_id", "subject", "team_id"]
            .map(str::to_owned)
            .to_vec();
        header.extend(asked.keys.iter().map(|key| asked.names.of(*key).to_owned()));
        header.push("composite".to_owned());
        return vec![header];
    };
    let mut line = vec![period.to_owned()];
    line.extend(id_of(row));
    line.extend(
        row.values
            .iter()
            .map(|(key, value)| plain(value.map(|v| round_for_output(key.kpi().unit, v)))),
    );
    line.push(ratio(
        row.scorecard.as_ref().and_then(|card| card.composite),
    ));
    vec![line]
}

/// One line per item of each subject's scorecard (seed 003's table: dimension, KPI,
/// weight, target, actual, attainment, score), with the subject's composite.
fn scorecard_lines(asked: &Asked, row: Option<&TableRow>, period: &str) -> Vec<Vec<String>> {
    let Some(row) = row else {
        return vec![
            [
                "period",
                "subject_id",
                "subject",
                "team_id",
                "scheme",
                "dimension",
                "kpi",
                "kpi_name",
                "weight",
                "target",
                "actual",
                "attainment",
                "status",
                "score",
                "composite",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
    };
    let Some(card) = row.scorecard.as_ref() else {
        return Vec::new();
    };
    let names = match asked.names {
        Names::Key => Names::English,
        other => other,
    };
    card.items
        .iter()
        .map(|item| {
            let mut line = vec![period.to_owned()];
            line.extend(id_of(row));
            line.extend([
                card.scheme.name.clone(),
                serde_json::to_value(item.kpi.kpi().dimension)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                item.kpi.as_str().to_owned(),
                names.of(item.kpi).to_owned(),
                item.weight.to_string(),
                plain(item.target.as_ref().map(|target| target.target)),
                plain(
                    item.actual
                        .map(|v| round_for_output(item.kpi.kpi().unit, v)),
                ),
                ratio(item.attainment),
                status(item.status).to_owned(),
                ratio(item.score),
                ratio(card.composite),
            ]);
            line
        })
        .collect()
}

fn status(status: Status) -> &'static str {
    match status {
        Status::NoTarget => "NO_TARGET",
        Status::Met => "MET",
        Status::OnTrack => "ON_TRACK",
        Status::AtRisk => "AT_RISK",
        Status::Critical => "CRITICAL",
    }
}
