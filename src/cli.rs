//! The command line (design.md §5). `main.rs` only parses and calls `run`.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::pledge::{StaffRole, parse_email};
use crate::domain::register::parse_register;
use crate::startup::{Application, shutdown_signal};
use crate::store::{self, audit::Actor};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "pledgeflow",
    version,
    about = "Runs the pledge update cycle of the Call to Local Action for Migrants and Refugees"
)]
pub struct Cli {
    /// A TOML file whose keys override the embedded defaults (see config/default.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Import data from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage secretariat accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Manage update campaigns.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Reminders: plan what is due and deliver due mail.
    #[command(subcommand)]
    Reminders(RemindersCommand),
    /// Export approved and published updates (written as they are read, page by page).
    Export {
        /// csv, xlsx or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Start a CSV with a byte-order mark, so Excel reads it as UTF-8.
        #[arg(long)]
        bom: bool,
        /// all, gcr (GCR and Mirror pledges, shaped like a UNHCR pledge update) or gcm (GCM and
        /// Mirror pledges). IDP-only pledges never go to gcr or gcm.
        #[arg(long, default_value = "all")]
        target: String,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Every approved update of every cycle, instead of each pledge's latest one.
        #[arg(long)]
        all_cycles: bool,
        /// Print the JSON Schema of the target's JSON export instead (needs no database).
        #[arg(long)]
        schema: bool,
    },
    /// Write a consistent copy of the SQLite database to FILE, also while `serve` runs.
    /// (On PostgreSQL use pg_dump: the command says so and changes nothing.)
    Backup {
        /// Where the copy goes; it must not exist yet. The attachments go to FILE.attachments/.
        file: PathBuf,
    },
    /// Exit 0 when the `serve` on this machine answers /readyz (a container healthcheck that
    /// needs no shell and no curl); says why not otherwise.
    Healthcheck,
    /// Put a backup in place of the SQLite database, with its attachments. Refused while
    /// `serve` runs; the current database is kept aside as DB.before-restore-STAMP.
    Restore {
        /// A file written by `pledgeflow backup`.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RemindersCommand {
    /// One scheduler pass: plan the reminders due now, then deliver the mail that is due, both
    /// at the clock that --now sets (default: the real time). Prints what it did.
    Run {
        /// Pretend it is this instant (RFC 3339, e.g. 2027-01-10T09:30:00Z).
        #[arg(long, value_parser = parse_instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 instant such as 2027-01-10T09:30:00Z"))
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Open a campaign: one update request per active pledge (or per --pledge), a personal link
    /// per active contact, and an invitation e-mail per link, queued for `serve` to deliver.
    Open {
        /// The campaign's name, e.g. "2026 IMRF updates".
        #[arg(long)]
        name: String,
        /// Last day to submit (YYYY-MM-DD), end of day in each officer's time zone.
        #[arg(long, value_parser = parse_date)]
        deadline: chrono::NaiveDate,
        /// Only these pledges (repeatable).
        #[arg(long = "pledge", value_name = "REF", conflicts_with = "all")]
        pledges: Vec<String>,
        /// Every active pledge of the register (needed when no --pledge is given: one stray
        /// command must not invite everyone).
        #[arg(long)]
        all: bool,
        /// Show what would be created and queued, and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// A pledge whose request is still open in another campaign is left out (and named);
        /// with --move that request moves into this campaign, draft and links included.
        #[arg(long = "move")]
        move_open: bool,
    },
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date of the form YYYY-MM-DD"))
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import organizations, pledges and contacts from a register CSV (format in the README).
    /// All or nothing: a file with any bad row writes nothing. Re-importing updates in place.
    Register {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Print a new API token for the account (shown once; only its hash is stored; it works
    /// for 90 days). `--list` shows the account's tokens instead, `--revoke ID` ends one.
    Token {
        email: String,
        #[arg(long, conflicts_with = "revoke")]
        list: bool,
        #[arg(long)]
        revoke: Option<i32>,
    },
    /// Create a secretariat account, or reset its name, role and password. The password comes
    /// from PLEDGEFLOW_STAFF_PASSWORD, else a prompt (or one line of standard input).
    Add {
        email: String,
        /// Full name shown in the workspace.
        #[arg(long)]
        name: String,
        /// admin, reviewer or viewer.
        #[arg(long, value_parser = |s: &str| StaffRole::parse(s))]
        role: StaffRole,
        /// Bring back an account that was deactivated (without it, such an account is refused).
        #[arg(long)]
        reactivate: bool,
    },
    /// List the secretariat's accounts: e-mail, role, active or deactivated, name.
    List,
    /// Deactivate an account: it can no longer sign in, its sessions end, its API tokens are revoked.
    Deactivate { email: String },
}

pub async fn run(cli: Cli) -> ExitCode {
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_logging(&settings.log);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::Import(ImportCommand::Register { file }) => import_register(settings, file).await,
        Command::Staff(StaffCommand::List) => staff_list(settings).await,
        Command::Staff(StaffCommand::Deactivate { email }) => staff_deactivate(settings, email).await,
        Command::Staff(StaffCommand::Add {
            email,
            name,
            role,
            reactivate,
        }) => staff_add(settings, email, name, role, reactivate).await,
        Command::Campaign(CampaignCommand::Open {
            ref pledges,
            all: false,
            ..
        }) if pledges.is_empty() => {
            eprintln!(
                "error: name the pledges with --pledge REF (repeatable), or ask for every active pledge with --all"
            );
            Ok(ExitCode::from(2))
        }
        Command::Campaign(CampaignCommand::Open {
            name,
            deadline,
            pledges,
            dry_run,
            move_open,
            ..
        }) => campaign_open(settings, name, deadline, pledges, move_open, dry_run).await,
        Command::Staff(StaffCommand::Token { email, list, revoke }) => match (list, revoke) {
            (true, _) => staff_token_list(settings, email).await,
            (_, Some(id)) => staff_token_revoke(settings, email, id).await,
            _ => staff_token(settings, email).await,
        },
        Command::Export {
            format,
            bom,
            target,
            out,
            all_cycles,
            schema,
        } => export(settings, format, bom, target, out, all_cycles, schema).await,
        Command::Reminders(RemindersCommand::Run { now }) => reminders_run(settings, now).await,
        Command::Backup { file } => backup(settings, file).await,
        Command::Restore { file } => restore(settings, file).await,
        Command::Healthcheck => healthcheck(settings).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    // Held until serve ends, so that `restore` never replaces the file under it.
    let _serving = match store::sqlite_path(settings.database.url.expose()) {
        Some(path) => {
            Some(store::backup::hold_while_serving(std::path::Path::new(path)).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let app = Application::build(settings, Clock::system(), None).await?;
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the database for a command that works on existing data: a SQLite file that is not
/// there is an error (a mistyped path or a missing `--config` must not start an empty
/// database), and the command says on standard error which database it uses.
async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    existing_database(settings)?;
    open_or_create(settings).await
}

/// Refuses a SQLite path that names no file, and says which database the command uses.
fn existing_database(settings: &Settings) -> anyhow::Result<()> {
    if let Some(path) = store::sqlite_path(settings.database.url.expose())
        && !std::path::Path::new(path).is_file()
    {
        anyhow::bail!(
            "there is no database at {path}; check database.url (or --config), or create it with `pledgeflow migrate`"
        );
    }
    eprintln!("database: {}", settings.database.url);
    Ok(())
}

/// Opens the database, creating a SQLite file if there is none (`serve`, `migrate`).
async fn open_or_create(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = store::connect(&settings.database)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database.url))?;
    store::migrate(&db).await.context("database migrations failed")?;
    Ok(db)
}

async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    eprintln!("database: {}", settings.database.url);
    open_or_create(&settings).await?;
    println!("database is up to date");
    Ok(ExitCode::SUCCESS)
}

async fn import_register(settings: Settings, file: PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed = match parse_register(&bytes) {
        Ok(p) => p,
        Err(issues) => {
            eprintln!(
                "{}: {} problem(s); nothing was written.",
                file.display(),
                issues.len()
            );
            for issue in issues {
                eprintln!("  {issue}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    for warning in &parsed.warnings {
        eprintln!("warning: {warning}");
    }
    let db = open(&settings).await?;
    let progress = progress_line("importing row", 25);
    let summary =
        store::register::apply_register(&db, &parsed, Clock::system().now(), Actor::System, progress)
            .await
            .context("the import failed and was rolled back; nothing was written")?;
    println!(
        "imported {} rows from {}: organizations {} created, {} updated; pledges {} created, {} updated, {} unchanged; contacts {} created, {} updated",
        parsed.rows.len(),
        file.display(),
        summary.organizations_created,
        summary.organizations_updated,
        summary.pledges_created,
        summary.pledges_updated,
        summary.pledges_unchanged,
        summary.contacts_created,
        summary.contacts_updated,
    );
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("PLEDGEFLOW_STAFF_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn staff_list(settings: Settings) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    for user in store::staff::list(&db).await? {
        let state = if user.active { "active" } else { "deactivated" };
        println!(
            "{}\t{}\t{state}\t{}",
            user.email,
            StaffRole::from(user.role),
            user.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn staff_deactivate(settings: Settings, email: String) -> anyhow::Result<ExitCode> {
    let email = parse_email(&email).map_err(anyhow::Error::msg)?;
    let db = open(&settings).await?;
    match store::staff::deactivate_account(&db, &email, Actor::System, Clock::system().now()).await {
        Ok(_) => {}
        Err(store::ActionError::NotFound(message)) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    }
    println!("deactivated {email}: signed out everywhere, API tokens revoked");
    Ok(ExitCode::SUCCESS)
}

async fn staff_add(
    settings: Settings,
    email: String,
    name: String,
    role: StaffRole,
    reactivate: bool,
) -> anyhow::Result<ExitCode> {
    let email = parse_email(&email).map_err(anyhow::Error::msg)?;
    let name = crate::domain::text::one_line(&name);
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 200,
        "--name must be 1 to 200 characters"
    );
    let db = open(&settings).await?;
    // A deactivated account comes back only on purpose: refused before asking a password.
    let deactivated = store::staff::find_staff(&db, &email)
        .await?
        .is_some_and(|u| !u.active);
    anyhow::ensure!(
        reactivate || !deactivated,
        "{email} was deactivated; add --reactivate to bring the account back"
    );
    let password = read_password()?;
    crate::domain::access::check_new_password(&password).map_err(anyhow::Error::msg)?;
    let hash = password_auth::generate_hash(password.as_bytes());
    let (_, created) = store::staff::save_account(
        &db,
        &email,
        &name,
        role,
        hash,
        reactivate,
        Actor::System,
        Clock::system().now(),
    )
    .await?;
    println!("{} {email} ({role})", if created { "created" } else { "updated" });
    Ok(ExitCode::SUCCESS)
}

/// Reports `done` of `total` on standard error when it is a terminal, every `every` items.
fn progress_line(what: &'static str, every: usize) -> impl Fn(usize, usize) + Sync {
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if terminal && (done % every == 0 || done == total) {
            eprint!("\r{what} {done} of {total}");
            let _ = std::io::stderr().flush();
            if done == total {
                eprintln!();
            }
        }
    }
}

async fn campaign_open(
    settings: Settings,
    name: String,
    deadline: chrono::NaiveDate,
    pledges: Vec<String>,
    move_open: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    let progress = progress_line("issuing requests: pledge", 10);
    let spec = store::campaign::OpenCampaign {
        move_open,
        name: &name,
        deadline,
        pledge_refs: &pledges,
        base_url: &settings.server.base_url,
        grace_days: settings.links.grace_days,
        staff_id: None,
        policy: settings.reminders.policy_settings(),
        dry_run,
        progress: &progress,
    };
    let (would, opened_word, queued_word) = if dry_run {
        ("dry run, nothing was stored: ", "would open", "would be queued")
    } else {
        ("", "opened", "queued")
    };
    match store::campaign::open_campaign(&db, &spec, Clock::system().now()).await {
        Ok(opened) => {
            println!(
                "{would}{opened_word} campaign `{name}` (deadline {deadline}): {} update requests ({} out of UN scope), {} invitations {queued_word}",
                opened.requests, opened.out_of_un_scope, opened.invitations
            );
            if !opened.without_contact.is_empty() {
                println!(
                    "no active contact, nobody invited for: {}",
                    opened.without_contact.join(", ")
                );
            }
            for refused in &opened.already_open {
                println!("left out: {refused} (use --move to move it here)");
            }
            if !opened.moved.is_empty() {
                println!(
                    "{}: {}",
                    if dry_run { "would move here" } else { "moved here" },
                    opened.moved.join(", ")
                );
            }
            if !dry_run {
                println!("`pledgeflow serve` delivers the invitations.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(store::ActionError::Invalid(message) | store::ActionError::NotFound(message)) => {
            eprintln!("error: {message}; nothing was created");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// The account behind `email`; an error names it when there is none (or none active).
async fn staff_account(
    db: &sea_orm::DatabaseConnection,
    email: &str,
    active_only: bool,
) -> anyhow::Result<crate::entities::staff_user::Model> {
    match store::staff::find_staff(db, email).await? {
        Some(user) if user.active || !active_only => Ok(user),
        Some(_) => anyhow::bail!("the staff account {email} is deactivated"),
        None => anyhow::bail!("there is no staff account {email}"),
    }
}

async fn staff_token_list(settings: Settings, email: String) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    let email = email.trim().to_ascii_lowercase();
    let user = staff_account(&db, &email, false).await?;
    let now = Clock::system().now();
    println!("id\tmade\tlast used\tstate");
    for t in store::staff::api_tokens(&db, Some(user.id)).await? {
        let state = crate::domain::access::TokenStanding::of(t.created_at, t.revoked_at, now);
        let used = t
            .last_used_at
            .map_or("never".into(), |at| at.format("%Y-%m-%d %H:%M").to_string());
        println!("{}\t{}\t{used}\t{state}", t.id, t.created_at.format("%Y-%m-%d"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn staff_token_revoke(settings: Settings, email: String, id: i32) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    let email = email.trim().to_ascii_lowercase();
    let user = staff_account(&db, &email, false).await?;
    match store::staff::end_api_token(&db, user.id, id, Actor::System, Clock::system().now()).await {
        Ok(()) => {}
        Err(store::ActionError::NotFound(_)) => {
            eprintln!("error: {email} has no working token {id} (see `staff token {email} --list`)");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    }
    println!("revoked token {id} of {email}");
    Ok(ExitCode::SUCCESS)
}

async fn staff_token(settings: Settings, email: String) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    let email = email.trim().to_ascii_lowercase();
    let user = staff_account(&db, &email, true).await?;
    let token = store::staff::issue_api_token(&db, user.id, Actor::System, Clock::system().now()).await?;
    println!("{token}");
    eprintln!("Keep it secret: it is shown only this once. Send it as `Authorization: Bearer <token>`.");
    Ok(ExitCode::SUCCESS)
}

async fn export(
    settings: Settings,
    format: String,
    bom: bool,
    target: String,
    out: Option<PathBuf>,
    all_cycles: bool,
    schema: bool,
) -> anyhow::Result<ExitCode> {
    let format = match crate::exports::Format::parse(&format) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let target = match crate::domain::export::Target::parse(&target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if schema {
        let text = serde_json::to_string_pretty(&crate::domain::export::schema(target))?;
        match &out {
            Some(path) => std::fs::write(path, text + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?,
            None => println!("{text}"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let db = open(&settings).await?;
    let mut sink: Box<dyn Write + Send> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    if bom && format == crate::exports::Format::Csv {
        sink.write_all(crate::exports::UTF8_BOM)?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let producer =
        tokio::spawn(async move { crate::exports::produce(&db, format, target, all_cycles, tx).await });
    // The total is not known before the end: a terminal sees the bytes written so far.
    let terminal = std::io::stderr().is_terminal();
    let mut written = 0usize;
    while let Some(chunk) = rx.recv().await {
        sink.write_all(&chunk)?;
        written += chunk.len();
        if terminal {
            eprint!("\rexporting: {:.1} MB written", written as f64 / 1e6);
        }
    }
    sink.flush()?;
    if terminal {
        eprintln!();
    }
    let count = producer.await??;
    eprintln!("exported {count} update(s)");
    Ok(ExitCode::SUCCESS)
}

async fn reminders_run(
    settings: Settings,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    let clock = now.map(Clock::fixed).unwrap_or_else(Clock::system);
    let report = crate::jobs::scheduler::pass(&db, &settings, &clock).await?;
    println!(
        "planned at {}: {} mail(s) covering {} reminder(s) ({} digest(s), {} escalation(s)); {} older step(s) skipped",
        clock.now().to_rfc3339(),
        report.mails,
        report.reminders,
        report.digests,
        report.escalations,
        report.skipped
    );
    if report.interview_reminders > 0 {
        println!(
            "{} interview reminder(s) for the next 24 hours",
            report.interview_reminders
        );
    }
    if report.sessions_purged > 0 {
        println!("{} expired session(s) deleted", report.sessions_purged);
    }
    if !report.unreachable.is_empty() {
        println!(
            "every contact bounced, nobody reminded: {}",
            report.unreachable.join(", ")
        );
    }
    let mailer = crate::mail::Mailer::from_settings(&settings.mail).map_err(anyhow::Error::msg)?;
    let owner = format!("cli-{}", uuid::Uuid::new_v4().simple());
    let delivered =
        crate::jobs::worker::deliver_due(&db, &mailer, &clock, &owner, settings.mail.max_attempts).await?;
    println!(
        "delivered: {} sent, {} to retry, {} failed",
        delivered.sent, delivered.retried, delivered.failed
    );
    Ok(ExitCode::SUCCESS)
}

async fn backup(settings: Settings, file: PathBuf) -> anyhow::Result<ExitCode> {
    if store::sqlite_path(settings.database.url.expose()).is_none() {
        eprintln!(
            "error: `pledgeflow backup` copies SQLite databases. For PostgreSQL use its own tool while the service runs, e.g. `pg_dump --format=custom --file=pledgeflow.dump DATABASE_URL`, and `pg_restore` to bring it back; copy the attachments folder ({}) beside it.",
            settings.attachments.dir
        );
        return Ok(ExitCode::from(2));
    }
    let attachments = store::backup::attachments_beside(&file);
    if file.exists() || attachments.exists() {
        eprintln!("error: {} already exists; choose a new file name", file.display());
        return Ok(ExitCode::from(2));
    }
    // Only read: no migration, which would need the write lock that `serve` is using.
    existing_database(&settings)?;
    let db = store::connect(&settings.database).await?;
    let started = std::time::Instant::now();
    store::backup::backup_sqlite(&db, &file).await?;
    // After the database: every attachment the copy refers to is on disk by then (a file is
    // stored before the row that names it).
    let copied = store::backup::copy_new_files(std::path::Path::new(&settings.attachments.dir), &attachments)
        .with_context(|| format!("cannot copy the attachments to {}", attachments.display()))?;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up to {} ({:.1} MB) and {copied} attachment(s) to {} in {} ms",
        file.display(),
        size as f64 / 1e6,
        attachments.display(),
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

async fn restore(settings: Settings, file: PathBuf) -> anyhow::Result<ExitCode> {
    let Some(path) = store::sqlite_path(settings.database.url.expose()) else {
        eprintln!(
            "error: `pledgeflow restore` restores SQLite databases. For PostgreSQL use `pg_restore --clean --dbname=DATABASE_URL pledgeflow.dump` with the service stopped."
        );
        return Ok(ExitCode::from(2));
    };
    let db_path = std::path::Path::new(path);
    let stamp = Clock::system().now().format("%Y%m%dT%H%M%SZ").to_string();
    match store::backup::restore_sqlite(
        &file,
        db_path,
        std::path::Path::new(&settings.attachments.dir),
        &stamp,
    )
    .await
    {
        Ok(restored) => {
            // The restored file is checked as the service will open it, and brought up to
            // this version's schema if the backup is older.
            let db = open(&settings).await?;
            let verdict = store::backup::integrity_check(&db).await?;
            db.close().await?;
            anyhow::ensure!(
                verdict == "ok",
                "the restored database fails SQLite's integrity check: {verdict}"
            );
            println!(
                "restored {} from {} ({} attachment(s) brought back); integrity check ok",
                db_path.display(),
                file.display(),
                restored.attachments_copied
            );
            for kept in &restored.kept_aside {
                println!("the database as it was is kept as {}", kept.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (store::backup::RestoreError::BadBackup(_) | store::backup::RestoreError::Serving(_))) => {
            eprintln!("error: {e}; nothing was changed");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

async fn healthcheck(settings: Settings) -> anyhow::Result<ExitCode> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut address: std::net::SocketAddr = settings.server.bind.parse().with_context(|| {
        format!(
            "server.bind `{}` is not an address and port",
            settings.server.bind
        )
    })?;
    // Bound to every interface: ask on this machine's loopback.
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let asked = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        stream.take(4096).read_to_end(&mut answer).await?;
        std::io::Result::Ok(answer)
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), asked).await {
        Ok(Ok(answer)) => {
            let answer = String::from_utf8_lossy(&answer);
            let status = answer.lines().next().unwrap_or_default();
            if status.split_whitespace().nth(1) == Some("200") {
                println!("ready ({address})");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("not ready: {address}/readyz answered `{status}`");
                Ok(ExitCode::FAILURE)
            }
        }
        Ok(Err(e)) => {
            eprintln!("not ready: cannot reach {address}: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(_) => {
            eprintln!("not ready: {address} did not answer within 5 seconds");
            Ok(ExitCode::FAILURE)
        }
    }
}
